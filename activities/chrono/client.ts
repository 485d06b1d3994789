/**
 * Typed client of the chrono bookings API. chrono answers refusals with HTTP
 * 200 and `err` != 0: the shared HTTP helper's `refusalIn2xx` makes them
 * non-retryable refusals, and this client turns each into a ChronoRefusal
 * (the seed's `err_class` verbatim, with what it means for the booking).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import { FailureType } from '../../common/failure-types';
import { ProviderHttpClient, type ProviderEndpoint, type ProviderRequest } from '../http';
import {
  AcceptResponse,
  BookingAck,
  BookingId,
  BookingReadResponse,
  ChronoRefusalBody,
  DeleteResponse,
  type FillslotRequest,
  FillslotResponse,
  type PresenceRequest,
  type UserBooking,
  type UserBookingsQuery,
  UserBookingsResponse,
  chronoRefusalOf,
  readChronoRefusal,
  refusalIn2xx,
} from './contract';

export type CancelOutcome = 'cancelled' | 'already_cancelled';

/** The one field salvaged from a fillslot answer that cannot be read otherwise. */
const BookingIdOf = z.looseObject({ booking_id: BookingId });

const bookingPath = (bookingId: number, action?: string) => `/api/booking/${bookingId}/${action ? `${action}/` : ''}`;

export class ChronoClient {
  private readonly http: ProviderHttpClient;

  constructor(endpoint: ProviderEndpoint, logger: Logger) {
    this.http = new ProviderHttpClient(endpoint, logger, readChronoRefusal);
  }

  /**
   * Books places. An answer that cannot be read is a contract violation that
   * names the `booking_id` when the answer carried one, so the booking it made
   * is released by id as well as by its tag.
   */
  async fillslot(agenda: string, slot: string, body: FillslotRequest, logger?: Logger): Promise<FillslotResponse> {
    const path = `/api/agenda/${encodeURIComponent(agenda)}/fillslot/${encodeURIComponent(slot)}/`;
    const answer = await this.call({ method: 'POST', path, body, schema: z.unknown() }, logger);
    const parsed = FillslotResponse.safeParse(answer);
    if (parsed.success) return parsed.data;
    const bookingId = BookingIdOf.safeParse(answer);
    throw ApplicationFailure.create({
      message: `chrono answered POST ${path} with something its contract does not allow: ${parsed.error.issues
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
        .join('; ')}`,
      type: FailureType.ProviderContractViolation,
      nonRetryable: true,
      details: bookingId.success ? [{ booking_id: bookingId.data.booking_id }] : [],
    });
  }

  async userBookings(query: UserBookingsQuery, logger?: Logger): Promise<UserBooking[]> {
    const answer = await this.call({ method: 'GET', path: '/api/bookings/', query, schema: UserBookingsResponse }, logger);
    return answer.data;
  }

  async read(bookingId: number, logger?: Logger): Promise<BookingReadResponse['data']> {
    return (await this.call({ method: 'GET', path: bookingPath(bookingId), schema: BookingReadResponse }, logger)).data;
  }

  /** The seed's PATCH: presence fields, and any other key, which chrono keeps in `extra_data`. */
  async markPresence(bookingId: number, presence: PresenceRequest, logger?: Logger): Promise<void> {
    const body = {
      ...presence.extra_data,
      user_was_present: presence.user_was_present,
      user_absence_reason: presence.user_absence_reason ?? '',
    };
    await this.call({ method: 'PATCH', path: bookingPath(bookingId), body, schema: BookingAck }, logger);
  }

  /** A booking already cancelled ("already cancelled", the seed's answer), or deleted (404), has nothing left to release. */
  async cancel(bookingId: number, logger?: Logger): Promise<CancelOutcome> {
    try {
      await this.call({ method: 'POST', path: bookingPath(bookingId, 'cancel'), schema: BookingAck }, logger);
      return 'cancelled';
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === FailureType.ProviderRefused) {
        const [details] = (err.details ?? []) as { err_class?: string; status?: number }[];
        if (details?.err_class === 'already cancelled' || details?.status === 404) return 'already_cancelled';
      }
      throw err;
    }
  }

  accept(bookingId: number, logger?: Logger): Promise<AcceptResponse> {
    return this.call({ method: 'POST', path: bookingPath(bookingId, 'accept'), schema: AcceptResponse }, logger);
  }

  async suspend(bookingId: number, logger?: Logger): Promise<void> {
    await this.call({ method: 'POST', path: bookingPath(bookingId, 'suspend'), schema: BookingAck }, logger);
  }

  async resize(bookingId: number, count: number, logger?: Logger): Promise<void> {
    await this.call({ method: 'POST', path: bookingPath(bookingId, 'resize'), body: { count }, schema: BookingAck }, logger);
  }

  async anonymize(bookingId: number, logger?: Logger): Promise<void> {
    await this.call({ method: 'POST', path: bookingPath(bookingId, 'anonymize'), schema: BookingAck }, logger);
  }

  async delete(bookingId: number, logger?: Logger): Promise<void> {
    await this.call({ method: 'DELETE', path: bookingPath(bookingId), schema: DeleteResponse }, logger);
  }

  /** Every call: an `err` != 0 is a refusal, carried as a ChronoRefusal in the failure's details. */
  private async call<T>(req: Omit<ProviderRequest<T>, 'refusalIn2xx'>, logger?: Logger): Promise<T> {
    try {
      // The seed documents JSON bodies, whatever encoding the endpoint is configured with.
      return await this.http.request({ ...req, encoding: 'json', refusalIn2xx }, logger);
    } catch (err) {
      if (!(err instanceof ApplicationFailure) || err.type !== FailureType.ProviderRefused) throw err;
      const [answer] = (err.details ?? []) as { status: number; body: unknown }[];
      const refusal = ChronoRefusalBody.safeParse(answer?.body);
      if (!refusal.success) throw err;
      throw ApplicationFailure.create({
        message: refusal.data.err_class,
        type: FailureType.ProviderRefused,
        nonRetryable: true,
        details: [{ ...chronoRefusalOf(refusal.data), status: answer?.status }],
      });
    }
  }
}
