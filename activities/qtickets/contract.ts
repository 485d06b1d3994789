/**
 * The qtickets Partners API, as zod schemas of its wire format. Field names keep
 * the provider's spelling. Answers are read tolerantly: a schema requires only
 * what the document promises and a step uses (a ticket's `id`, a seat's
 * `seat_id` and `available`, the zones of a show); every other field is optional
 * and kept as sent (the catalogue passes answers through, the booking's result
 * shows what came). A display field of an unexpected type never fails a booking.
 *
 * Where the document is silent, the project assumes (and the simulator follows):
 * - errors come as the document's `{"status":"error","code","message"}` envelope, usually
 *   with HTTP 200; some deployments may answer it with a 4xx/5xx status, read alike;
 * - `UNKNOWN_ERROR` is the provider's own trouble: retried like a 5xx, never shown as a refusal;
 * - the document has no ticket lookup: tickets/add with `external_id` and no `seat_id` is its
 *   update of that ticket, answering TICKET_NOT_FOUND when it does not exist; with the same
 *   `paid`/`reserved_to` it changes nothing, so it serves as the lookup after an add whose
 *   answer was lost;
 * - tickets/remove takes `id` or `external_id` (the document says so): a ticket whose add
 *   answer never arrived is removed by its external_id;
 * - a ticket that is removed or whose `reserved_to` passed answers TICKET_NOT_FOUND: it
 *   is released already. A removal counts as done only on `status: "success"` with
 *   `result: true`, or on TICKET_NOT_FOUND; any other answer is asked again;
 * - the text lists fewer fields than the examples show (a seat's `price` and `currency_id`,
 *   a ticket's `paid` and `reserved_to`, the show's header in per-show answers): those are
 *   display fields, read when present;
 * - `last_update_hash` comes with every per-show answer ("returned in all later methods"); when
 *   an answer lacks it, the show is taken as unchanged (qtickets refuses a seat that is gone);
 * - "GET or POST parameters": the query string, a JSON body or a form body answer alike;
 *   the client POSTs a body encoded as QTICKETS_ENCODING says (json by default, form for a
 *   deployment that reads PHP-style POST parameters only);
 * - `reserved_to` is written as the document writes it, to the second with an offset
 *   (`2018-05-24T17:00:00+00:00`).
 */
import { z } from 'zod';

/** The document's error envelope; a code it does not list is kept as sent. */
export const ErrorAnswer = z.object({
  status: z.literal('error'),
  code: z.string(),
  message: z.string(),
});
export type ErrorAnswer = z.infer<typeof ErrorAnswer>;

/** A field shown to people, never needed by a step: any value, or none. */
const display = z.unknown().optional();
/** An identifier the document writes as a number or a string ("27061"): read both, kept as a string. */
const Id = z.union([z.string().min(1), z.number()]).transform(String);

/** One entry of the listing; passed through to the catalogue as sent. */
const ShowHeader = z.looseObject({
  event_id: display,
  show_id: display,
  event_name: display,
  start_date: display,
  scheme: display,
  city: display,
  last_update_hash: display,
});
type ShowHeader = z.infer<typeof ShowHeader>;

/** `events/lists`: upcoming shows on sale to partners. */
export const EventsListAnswer = z.looseObject({
  status: z.string().optional(),
  result: z.array(ShowHeader),
});
export type EventsListAnswer = z.infer<typeof EventsListAnswer>;

/** `available` is a boolean in the document; 0/1 and "true"/"false" read alike. */
const Available = z.union([z.boolean(), z.literal(0), z.literal(1), z.literal('0'), z.literal('1'), z.literal('true'), z.literal('false')]).transform(
  (v) => v === true || v === 1 || v === '1' || v === 'true',
);

/** A seat on sale: numbered (row, place) or admission (`admission: true`, `free_quantity`). */
export const SeatState = z.looseObject({
  seat_id: Id,
  available: Available,
  coords: display,
  row: display,
  place: display,
  admission: display,
  free_quantity: display,
  price: display,
  currency_id: display,
});
export type SeatState = z.infer<typeof SeatState>;

/** `events/seats/{event_id}/{show_id?}`: the state of every seat on sale, and the show's header. */
export const ShowSeatsAnswer = z.looseObject({
  event_id: display,
  show_id: display,
  event_name: display,
  start_date: display,
  last_update_hash: display,
  zones: z.array(z.looseObject({ zone_id: display, name: display, seats: z.array(SeatState) })),
});
export type ShowSeatsAnswer = z.infer<typeof ShowSeatsAnswer>;

/** The ticket in a tickets/add answer: its `id` is what every later call needs; the rest is shown. */
export const TicketResult = z.looseObject({
  id: Id,
  paid: display,
  reserved_to: display,
  external_id: display,
  barcode: display,
});
export type TicketResult = z.infer<typeof TicketResult>;

/** `tickets/add` (create or update): the ticket, and the show's hash at that moment. */
export const TicketAnswer = z.looseObject({
  status: z.string().optional(),
  last_update_hash: display,
  result: TicketResult,
});
export type TicketAnswer = z.infer<typeof TicketAnswer>;

/** `tickets/remove`'s documented success: only this (or TICKET_NOT_FOUND) proves a ticket released. */
export const RemoveAnswer = z.looseObject({
  status: z.literal('success'),
  result: z.literal(true),
});
export type RemoveAnswer = z.infer<typeof RemoveAnswer>;

/** Which show a call is about; `show_id` is needed when the event has more than one. */
export interface ShowRef {
  event_id: number;
  show_id?: number;
}

/** tickets/add creating a ticket. */
export interface NewTicket {
  seat_id: string;
  paid: 0 | 1;
  /** Required while unpaid. */
  reserved_to?: string;
  external_id?: string;
}

/** tickets/add updating a ticket found by `id` or `external_id`. */
export type TicketChange = ({ id: string } | { external_id: string }) & { paid: 0 | 1; reserved_to?: string };

export type TicketRef = { id: string } | { external_id: string };

/** The document's date format: `2018-05-24T17:00:00+10:00`; ours are UTC, to the second. */
export function seedDate(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** A display value as text, or null when absent or not text-like. */
export const text = (value: unknown): string | null => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null);
/** A display value as a number, or null when absent or not a number ("1234" reads as 1234). */
export const num = (value: unknown): number | null => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : null;
};
/** `paid` as 0 or 1 (the document writes 0/1; a boolean or "1" reads alike), or null when absent. */
export const paidFlag = (value: unknown): 0 | 1 | null =>
  value === 1 || value === true || value === '1' || value === 'true' ? 1 : value === 0 || value === false || value === '0' || value === 'false' ? 0 : null;

/** The provider's message out of its error envelope, whatever the HTTP status. */
export function readQticketsRefusal(_status: number, body: unknown): string | undefined {
  const answer = ErrorAnswer.safeParse(body);
  if (answer.success) return answer.data.message;
  return typeof body === 'string' && body ? body.slice(0, 200) : undefined;
}
