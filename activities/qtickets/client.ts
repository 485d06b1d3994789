/**
 * Typed client of the qtickets Partners API over the shared HTTP helper. Errors
 * are classified once, here, by the seed's codes: WRONG_AUTHORIZATION is a
 * credentials problem, UNKNOWN_ERROR the provider's own trouble (retried), every
 * other code a refusal in the provider's words; "already released" is not an error.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import { FailureType } from '../../common/failure-types';
import { type ReleaseOutcome, released } from '../../common/release';
import { type ProviderEndpoint, type ProviderRequest, ProviderHttpClient } from '../http';
import {
  ErrorAnswer,
  EventsListAnswer,
  type NewTicket,
  RemoveAnswer,
  type ShowRef,
  ShowSeatsAnswer,
  TicketAnswer,
  type TicketChange,
  type TicketRef,
  readQticketsRefusal,
} from './contract';

const API = '/api/partners/v1';

export interface QticketsClientOptions {
  /**
   * The seed: "GET and POST answer alike". GET sends the parameters in the query
   * string; POST in a body encoded as the endpoint says (QTICKETS_ENCODING, json or form).
   */
  method?: 'GET' | 'POST';
}

type Params = Record<string, string | number | undefined>;

export class QticketsClient {
  private readonly http: ProviderHttpClient;

  constructor(
    endpoint: ProviderEndpoint,
    logger: Logger,
    private readonly options: QticketsClientOptions = {},
  ) {
    this.http = new ProviderHttpClient(endpoint, logger, readQticketsRefusal);
  }

  listEvents(logger?: Logger): Promise<EventsListAnswer> {
    return this.call('/events/lists', {}, EventsListAnswer, logger, { readOnly: true });
  }

  showSeats(show: ShowRef, logger?: Logger): Promise<ShowSeatsAnswer> {
    return this.call(`/events/seats${showPath(show)}`, {}, ShowSeatsAnswer, logger, { readOnly: true });
  }

  addTicket(show: ShowRef, ticket: NewTicket, logger?: Logger): Promise<TicketAnswer> {
    return this.call(`/tickets/add${showPath(show)}`, { ...ticket }, TicketAnswer, logger);
  }

  /** The seed's update: tickets/add with `id` or `external_id` (extend `reserved_to`, or `paid: 1`). */
  updateTicket(show: ShowRef, change: TicketChange, logger?: Logger): Promise<TicketAnswer> {
    return this.call(`/tickets/add${showPath(show)}`, { ...change }, TicketAnswer, logger);
  }

  /**
   * The ticket made with this external_id, if there is one. The seed has no
   * lookup: its update, with the same `paid`/`reserved_to` the add sent, answers
   * the ticket unchanged, or TICKET_NOT_FOUND when the add never happened.
   */
  async findTicket(show: ShowRef, change: TicketChange & { external_id: string }, logger?: Logger): Promise<TicketAnswer | undefined> {
    try {
      return await this.updateTicket(show, change, logger);
    } catch (err) {
      if (refusalCode(err) === 'TICKET_NOT_FOUND') return undefined;
      throw err;
    }
  }

  /**
   * Removes a ticket, on positive evidence only: the document's success
   * (`status: "success"`, `result: true`), or TICKET_NOT_FOUND (removed or expired
   * already). Any other answer, an unreadable one included, proves nothing: the
   * call fails retryably and the next attempt asks qtickets again.
   */
  async removeTicket(show: ShowRef, ticket: TicketRef, logger?: Logger): Promise<ReleaseOutcome> {
    const which = 'id' in ticket ? `ticket ${ticket.id}` : `the ticket with external_id ${ticket.external_id}`;
    let answer: unknown;
    try {
      answer = await this.call(`/tickets/remove${showPath(show)}`, { ...ticket }, z.unknown(), logger);
    } catch (err) {
      if (refusalCode(err) === 'TICKET_NOT_FOUND') return released(`qtickets: TICKET_NOT_FOUND for ${which} (removed or expired already)`);
      throw err;
    }
    if (RemoveAnswer.safeParse(answer).success) return released(`qtickets removed ${which}`);
    throw ApplicationFailure.retryable(
      `qtickets answered the removal of ${which} with a body it does not document (${(JSON.stringify(answer) ?? 'nothing').slice(0, 120)}); asking again until qtickets confirms`,
      FailureType.ProviderUnavailable,
    );
  }

  /** qtickets's reads are POSTs too (`readOnly` says which): an unreadable answer to one is asked again. */
  private async call<T>(path: string, params: Params, schema: z.ZodType<T>, logger?: Logger, { readOnly = false } = {}): Promise<T> {
    const request: ProviderRequest<T> =
      this.options.method === 'GET'
        ? { method: 'GET', path: `${API}${path}`, query: params, schema, readOnly }
        : { method: 'POST', path: `${API}${path}`, body: definedOnly(params), schema, readOnly };
    try {
      return await this.http.request({ ...request, refusalIn2xx: (body) => (isErrorAnswer(body) ? body.message : undefined) }, logger);
    } catch (err) {
      throw classified(err);
    }
  }
}

const showPath = (show: ShowRef): string =>
  `/${encodeURIComponent(show.event_id)}${show.show_id === undefined ? '' : `/${encodeURIComponent(show.show_id)}`}`;

const definedOnly = (params: Params): Params => Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));

const isErrorAnswer = (body: unknown): body is ErrorAnswer => ErrorAnswer.safeParse(body).success;

/** The seed's error envelope a failure carries (the HTTP helper keeps the answer in its details). */
export function refusalOf(err: unknown): ErrorAnswer | undefined {
  if (!(err instanceof ApplicationFailure)) return undefined;
  const [detail] = err.details ?? [];
  const direct = ErrorAnswer.safeParse(detail);
  if (direct.success) return direct.data;
  const wrapped = ErrorAnswer.safeParse((detail as { body?: unknown } | undefined)?.body);
  return wrapped.success ? wrapped.data : undefined;
}

/** The seed's error code of a failure (a string, so a code the seed does not list still reads). */
function refusalCode(err: unknown): string | undefined {
  return refusalOf(err)?.code;
}

/** Re-types the helper's failure by the seed's error code; the message stays the provider's. */
function classified(err: unknown): unknown {
  const refusal = refusalOf(err);
  if (!refusal) return err;
  switch (refusal.code) {
    case 'WRONG_AUTHORIZATION':
      return ApplicationFailure.create({
        message: `qtickets refused our credentials: ${refusal.message}`,
        type: FailureType.ProviderAuthRejected,
        nonRetryable: true,
        details: [refusal],
      });
    case 'UNKNOWN_ERROR':
      return ApplicationFailure.create({
        message: `qtickets answered UNKNOWN_ERROR: ${refusal.message}`,
        type: FailureType.ProviderUnavailable,
        nonRetryable: false,
        details: [refusal],
      });
    default:
      return ApplicationFailure.create({ message: refusal.message, type: FailureType.ProviderRefused, nonRetryable: true, details: [refusal] });
  }
}
