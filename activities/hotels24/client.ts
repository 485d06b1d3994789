/**
 * Typed client of hotels24's `POST /booking/hotel`. Transport is the shared
 * HTTP helper; the staged statuses are classified here, once: `error` is
 * retried with backoff, `failure` and a sold-out `rejected` are refusals
 * naming the fields, and what a person must look at comes back as a stop.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { ProviderHttpClient, type ProviderEndpoint } from '../http';
import { FailureType } from '../../common/failure-types';
import {
  type HotelBookingData,
  type HotelBookingRequest,
  HotelBookingResponse,
  type HotelStop,
  fieldsOf,
  hotels24RefusalIn2xx,
  readHotels24Refusal,
} from './contract';

const PATH = '/booking/hotel';

export class Hotels24Client {
  private readonly http: ProviderHttpClient;

  constructor(endpoint: ProviderEndpoint, logger: Logger) {
    this.http = new ProviderHttpClient(endpoint, logger, readHotels24Refusal);
  }

  /** Sends one request and answers where hotels24 stopped, or raises what cannot be gone on from. */
  async book(request: HotelBookingRequest, logger?: Logger): Promise<HotelStop> {
    const data = await this.send(request, logger);
    if (request.request_id && request.accepted && request.next_state && isAlreadyAt(data, request.next_state)) {
      // An earlier attempt whose answer was lost already brought the request where we asked it to
      // stop, so `accepted` would skip a stage: read the stop again instead of moving it on.
      return stopFrom(await this.send({ request_id: request.request_id, next_state: request.next_state }, logger));
    }
    return stopFrom(data);
  }

  private async send(request: HotelBookingRequest, logger?: Logger): Promise<HotelBookingData> {
    const response = await this.http.request(
      { method: 'POST', path: PATH, body: request, schema: HotelBookingResponse, refusalIn2xx: hotels24RefusalIn2xx },
      logger,
    );
    return response.data;
  }
}

/** hotels24 refuses only our next_state, and says the request already stands at that stage. */
function isAlreadyAt(data: HotelBookingData, nextState: string): boolean {
  return data.status === 'failure' && data.state === nextState && Object.keys(data.status_body).join() === 'next_state';
}

function stopFrom(data: HotelBookingData): HotelStop {
  const fields = fieldsOf(data.status_body);
  const refused = (message: string) =>
    ApplicationFailure.create({
      message,
      type: FailureType.ProviderRefused,
      nonRetryable: true,
      details: [{ state: data.state, status: data.status, status_body: data.status_body, fields: fields.map((f) => f.field) }],
    });
  if (data.status === 'error') {
    throw ApplicationFailure.retryable(`hotels24 answered "error" at ${data.state}; trying again later`, FailureType.ProviderUnavailable);
  }
  if (data.status === 'failure') {
    throw refused(`hotels24 refused the booking at ${data.state}: ${fields.map((f) => `${f.field} ${JSON.stringify(f.value)}`).join(', ') || 'no field named'}`);
  }
  if (!data.request_id) {
    // Only preConditions answers without an identifier: rooms sold out, nothing that could be accepted.
    if (data.status === 'rejected') {
      const shortfalls = fields.map((f) => `${f.field} asked ${JSON.stringify(asPair(f.value)[0])}, available ${JSON.stringify(asPair(f.value)[1])}`);
      throw refused(`hotels24 has not enough rooms at ${data.state}: ${shortfalls.join(', ')}`);
    }
    throw ApplicationFailure.create({
      message: `hotels24 answered "${data.status}" at ${data.state} without a request_id, which its contract does not allow`,
      type: FailureType.ProviderContractViolation,
      nonRetryable: true,
    });
  }
  return {
    state: data.state,
    status: data.status,
    requestId: data.request_id,
    booking: data.booking,
    differences:
      data.status === 'rejected' ? fields.map((f) => ({ field: f.field, requested: asPair(f.value)[0], actual: asPair(f.value)[1] })) : [],
    missing: data.status === 'requirements' ? fields.map((f) => f.field) : [],
  };
}

function asPair(value: unknown): [unknown, unknown] {
  return Array.isArray(value) && value.length === 2 ? [value[0], value[1]] : [undefined, value];
}
