/**
 * The qtickets Partners API (../shared/seeds/qtickets-partners-api.md), as zod
 * schemas of its wire format. Field names keep the provider's spelling.
 *
 * Where the seed is silent, the project assumes (and the simulator follows):
 * - errors come as the seed's `{"status":"error","code","message"}` envelope, usually
 *   with HTTP 200; some deployments may answer it with a 4xx/5xx status, read alike;
 * - `UNKNOWN_ERROR` is the provider's own trouble: retried like a 5xx, never shown as a refusal;
 * - the seed has no ticket lookup: tickets/add with `external_id` and no `seat_id` is the
 *   seed's update of that ticket, answering TICKET_NOT_FOUND when it does not exist; with
 *   the same `paid`/`reserved_to` it changes nothing, so it serves as the lookup after an
 *   add whose answer was lost;
 * - a ticket that is removed or whose `reserved_to` passed answers TICKET_NOT_FOUND: it
 *   is released already;
 * - "GET or POST parameters": the query string, a JSON body or a form body answer alike;
 *   the client POSTs a body encoded as QTICKETS_ENCODING says (json by default, form for a
 *   deployment that reads PHP-style POST parameters only);
 * - `reserved_to` is written as the seed writes it, to the second with an offset
 *   (`2018-05-24T17:00:00+00:00`).
 */
import { z } from 'zod';

export const QticketsErrorCode = z.enum([
  'UNKNOWN_ERROR',
  'WRONG_AUTHORIZATION',
  'EVENT_NOT_FOUND',
  'SEAT_NOT_FOUND',
  'SEAT_NOT_AVAILABLE',
  'TICKET_NOT_FOUND',
  'VALIDATION_ERROR',
]);
export type QticketsErrorCode = z.infer<typeof QticketsErrorCode>;

/** The seed's error envelope; a code it does not list is kept as sent. */
export const ErrorAnswer = z.object({
  status: z.literal('error'),
  code: z.string(),
  message: z.string(),
});
export type ErrorAnswer = z.infer<typeof ErrorAnswer>;

export const City = z.object({
  id: z.number().int(),
  name: z.string(),
  timezone: z.string(),
  coords: z.array(z.number()),
});

export const SchemeZone = z.object({
  zone_id: z.number().int(),
  name: z.string(),
  seats: z.array(z.object({ seat_id: z.string() })),
});

export const Scheme = z.object({
  id: z.number().int(),
  name: z.string(),
  place_name: z.string(),
  place_address: z.string(),
  place_description: z.string(),
  /** Only with the first show of a scheme in the listing, and in the seats answer. */
  zones: z.array(SchemeZone).optional(),
});

/** What every per-show answer starts with, and one entry of the listing. */
export const ShowHeader = z.object({
  event_id: z.number().int(),
  show_id: z.number().int(),
  event_name: z.string(),
  start_date: z.string(),
  scheme: Scheme,
  city: City,
  last_update_hash: z.string(),
});
export type ShowHeader = z.infer<typeof ShowHeader>;

/** `events/lists`: upcoming shows on sale to partners. */
export const EventsListAnswer = z.object({
  status: z.literal('success'),
  result: z.array(ShowHeader),
});
export type EventsListAnswer = z.infer<typeof EventsListAnswer>;

/** A seat on sale: numbered (row, place) or admission (`admission: true`, `free_quantity`). */
export const SeatState = z.object({
  seat_id: z.string(),
  available: z.boolean(),
  coords: z.array(z.number()),
  row: z.number().int().optional(),
  place: z.number().int().optional(),
  admission: z.boolean().optional(),
  free_quantity: z.number().int().optional(),
  price: z.number(),
  currency_id: z.string(),
});
export type SeatState = z.infer<typeof SeatState>;

/** `events/seats/{event_id}/{show_id?}`: the show and the state of every seat on sale. */
export const ShowSeatsAnswer = ShowHeader.extend({
  zones: z.array(z.object({ zone_id: z.number().int(), name: z.string(), seats: z.array(SeatState) })),
});
export type ShowSeatsAnswer = z.infer<typeof ShowSeatsAnswer>;

const Paid = z.union([z.literal(0), z.literal(1)]);

/** The ticket in a tickets/add answer. The seed writes its id as a string ("27061"). */
export const TicketResult = z.object({
  id: z.union([z.string().min(1), z.number().int()]).transform(String),
  paid: Paid,
  reserved_to: z.string().nullable(),
  external_id: z.string().nullable(),
  barcode: z.string().nullable(),
});
export type TicketResult = z.infer<typeof TicketResult>;

/** `tickets/add` (create or update): the ticket, and the show's hash at that moment. */
export const TicketAnswer = z.object({
  status: z.literal('success'),
  last_update_hash: z.string(),
  result: TicketResult,
});
export type TicketAnswer = z.infer<typeof TicketAnswer>;

/** `tickets/remove`. */
export const RemoveAnswer = z.object({
  status: z.literal('success'),
  last_update_hash: z.string(),
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

/** The seed's date format: `2018-05-24T17:00:00+10:00`; ours are UTC, to the second. */
export function seedDate(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** The provider's message out of its error envelope, whatever the HTTP status. */
export function readQticketsRefusal(_status: number, body: unknown): string | undefined {
  const answer = ErrorAnswer.safeParse(body);
  if (answer.success) return answer.data.message;
  return typeof body === 'string' && body ? body.slice(0, 200) : undefined;
}
