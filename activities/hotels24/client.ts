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
  isStage,
  readHotels24Refusal,
  requestIdOf,
  shownBookingOf,
  statusBodyOf,
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
      return stopFrom(await this.send({ request_id: request.request_id, next_state: request.next_state }, logger), request.request_id);
    }
    return stopFrom(data, request.request_id);
  }

  /**
   * Where a staged request stands, moving nothing on: `next_state` without `accepted` shows the
   * stage again, and a completed request answers its booking. `undefined` when hotels24 shows the
   * request still standing at `notBeyond` (ok), that is, nothing happened since it stopped there.
   */
  async whereIs(requestId: string, notBeyond: 'postRequisites', logger?: Logger): Promise<HotelStop | undefined> {
    const data = await this.send({ request_id: requestId, next_state: notBeyond }, logger);
    if (data.state === notBeyond && data.status === 'ok') return undefined;
    if (data.status === 'failure' && onlyNextStateRefused(data)) {
      // The request stands beyond `notBeyond`, at a stop of its own (at complete, rejected): that
      // stop is shown again, without accepting anything new.
      return stopFrom(await this.send({ request_id: requestId, next_state: 'complete' }, logger), requestId);
    }
    return stopFrom(data, requestId);
  }

  private async send(request: HotelBookingRequest, logger?: Logger): Promise<HotelBookingData> {
    const response = await this.http.request(
      { method: 'POST', path: PATH, body: request, schema: HotelBookingResponse, refusalIn2xx: hotels24RefusalIn2xx },
      logger,
    );
    return response.data;
  }
}

function onlyNextStateRefused(data: HotelBookingData): boolean {
  return Object.keys(statusBodyOf(data)).join() === 'next_state';
}

/** hotels24 refuses only our next_state, and says the request already stands at that stage. */
function isAlreadyAt(data: HotelBookingData, nextState: string): boolean {
  return data.status === 'failure' && data.state === nextState && onlyNextStateRefused(data);
}

/** The stop an answer describes; `sentId` is the request_id the request named (a `complete` answer may not repeat it). */
function stopFrom(data: HotelBookingData, sentId?: string): HotelStop {
  const body = statusBodyOf(data);
  const fields = fieldsOf(body);
  const refused = (message: string) =>
    ApplicationFailure.create({
      message,
      type: FailureType.ProviderRefused,
      nonRetryable: true,
      details: [{ state: data.state, status: data.status, status_body: body, fields: fields.map((f) => f.field) }],
    });
  const unusable = (message: string) =>
    ApplicationFailure.create({ message, type: FailureType.ProviderContractViolation, nonRetryable: true });
  if (data.status === 'error') {
    throw ApplicationFailure.retryable(`hotels24 answered "error" at ${data.state}; trying again later`, FailureType.ProviderUnavailable);
  }
  if (data.status === 'failure') {
    throw refused(`hotels24 refused the booking at ${data.state}: ${fields.map((f) => `${f.field} ${JSON.stringify(f.value)}`).join(', ') || 'no field named'}`);
  }
  if (data.status !== 'ok' && data.status !== 'rejected' && data.status !== 'requirements') {
    throw unusable(`hotels24 answered a status its contract does not name ("${data.status}") at ${data.state}`);
  }
  const { state, status } = data;
  if (!isStage(state)) {
    throw unusable(`hotels24 stopped at a stage its contract does not describe ("${state}", ${status}); the booking cannot go on from it`);
  }
  const requestId = requestIdOf(data) ?? sentId;
  if (!requestId) {
    // Only preConditions answers without an identifier: rooms sold out, nothing that could be accepted.
    if (status === 'rejected') {
      const shortfalls = fields.map((f) => `${f.field} asked ${JSON.stringify(asPair(f.value)[0])}, available ${JSON.stringify(asPair(f.value)[1])}`);
      throw refused(`hotels24 has not enough rooms at ${state}: ${shortfalls.join(', ') || 'no field named'}`);
    }
    throw unusable(`hotels24 answered "${status}" at ${state} without a request_id, which its contract does not allow`);
  }
  return {
    state,
    status,
    requestId,
    booking: shownBookingOf(data),
    differences: status === 'rejected' ? fields.map((f) => ({ field: f.field, requested: asPair(f.value)[0], actual: asPair(f.value)[1] })) : [],
    missing: status === 'requirements' ? fields.map((f) => f.field) : [],
  };
}

function asPair(value: unknown): [unknown, unknown] {
  return Array.isArray(value) && value.length === 2 ? [value[0], value[1]] : [undefined, value];
}
