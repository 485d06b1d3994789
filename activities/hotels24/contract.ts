/**
 * The hotels24 staged booking method `POST /booking/hotel`, as zod schemas of
 * its wire format. Field names keep the provider's spelling. Answers are read
 * tolerantly: only what the seed promises and the booking uses is required
 * (`data.state`, `data.status`, and `data.request_id` from postConditions on);
 * everything else is optional and kept for the view.
 *
 * Where the seed is silent, the project assumes (and the simulator follows):
 * - Bearer token auth; a refused token is HTTP 401 in the envelope `{ok: 0, data: null, msg, code}`;
 * - every processed request is HTTP 200 with `ok: 1`; the booking's outcome is `data.status`.
 *   The envelope is the draft's `{"ok": 1, "data": ..., "msg": "ok"}`; the example's `code` may be absent;
 * - `data.request_id` is there from postConditions on (null or absent before): it is the booking's only
 *   identifier. The seed's example of a `complete` answer has none: the request_id sent is the booking's;
 * - the draft spells `statusBody` where the table says `status_body`: both are read; an empty one may be `[]`;
 * - a staged request_id stays usable for a day after its last use (REQUEST_LIFETIME_MS in
 *   workflows/hotels24.ts); nothing is held at the hotel before `complete`, so a booking that
 *   stops half-way releases nothing: hotels24 lets the staged request lapse;
 * - the formal table and the example win over the draft: `quantity` (not `qty`), `next_state`
 *   (not `nextState`), dates `yyyy-mm-dd`;
 * - `status_body` mirrors the request's structure, with a numeric code at each refused field
 *   (`failure`), the missing fields (`requirements`) or `[sent, actual]` pairs (`rejected`);
 * - `rejected` at preConditions (rooms sold out) comes without a request_id: nothing can be accepted;
 * - a request_id sent with `next_state` and without `accepted` moves nothing on: hotels24 shows the
 *   request where it stands (the seed's "check" of a stage); a completed request_id answers its
 *   booking again and books nothing more. This is how the booking finds out what a lost answer did;
 * - hotels24 documents no status call and no cancellation: a completed booking cannot be undone by
 *   the orchestrator (the hotel is the pivot of any saga it is part of);
 * - the payment stages the seed mentions ("... состояния касающиеся оплат") are not documented: an
 *   answer at a stage the seed does not name is not gone on from.
 * Request bodies go as JSON or, with `HOTELS24_ENCODING=form`, url-encoded in bracket notation:
 * the seed accepts both.
 */
import { z } from 'zod';

const STAGES = ['preConditions', 'postConditions', 'preRequisites', 'postRequisites', 'complete'] as const;
export type Stage = (typeof STAGES)[number];

export const isStage = (state: string): state is Stage => (STAGES as readonly string[]).includes(state);

/** The seed's `boolean`: `true`, `false`, `1`, `0`, `"yes"`, `"no"` (and their string forms). */
const SeedBoolean = z.union([z.boolean(), z.number(), z.string()]).transform((v) => v === true || v === 1 || v === '1' || v === 'yes' || v === 'true');

/**
 * `status_body`: an object mirroring the request. An empty one may come as a
 * list (`[]`, as PHP encodes an empty map); the draft spells it `statusBody`.
 */
const StatusBody = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);

/**
 * `data` of an answer, read tolerantly: the booking goes on from `state`,
 * `status` and (from postConditions on) `request_id`; `status_body` says what
 * differs, is missing or refused. `booking` (the actual conditions, requisites,
 * general_conditions) is only shown to people, so nothing in it is required
 * and everything is kept. Unknown fields are kept too.
 */
export const HotelBookingData = z.looseObject({
  state: z.string().min(1),
  status: z.string().min(1),
  status_body: StatusBody.nullish(),
  statusBody: StatusBody.nullish(),
  request_id: z.union([z.string(), z.number()]).nullish(),
  booking: z.unknown().optional(),
});
export type HotelBookingData = z.infer<typeof HotelBookingData>;

/** The seed's envelope: `{"ok": 1, "data": ..., "msg": "ok"}` (the example adds `"code": 200`). Only `data` is needed. */
export const HotelBookingResponse = z.looseObject({
  ok: SeedBoolean.optional(),
  data: HotelBookingData,
  msg: z.unknown().optional(),
  code: z.unknown().optional(),
});

/** What hotels24 shows of the booking at a stage, kept as it came for the view (never required). */
export type ShownBooking = Record<string, unknown>;

/** The status_body of an answer, whichever way it is spelt, as an object. */
export function statusBodyOf(data: HotelBookingData): Record<string, unknown> {
  const body = data.status_body ?? data.statusBody ?? {};
  return Array.isArray(body) ? Object.fromEntries(body.map((v, i) => [String(i), v])) : body;
}

/** The request_id of an answer, if it carries one. */
export function requestIdOf(data: HotelBookingData): string | undefined {
  const id = data.request_id;
  if (id === null || id === undefined) return undefined;
  const text = String(id).trim();
  return text ? text : undefined;
}

/** What hotels24 shows of the booking: an object, or nothing (a `failure` may echo the request, kept as it is). */
export function shownBookingOf(data: HotelBookingData): ShownBooking {
  const { booking } = data;
  return typeof booking === 'object' && booking !== null && !Array.isArray(booking) ? (booking as ShownBooking) : {};
}

interface Living {
  first_name: string;
  last_name?: string;
}

/** What we send: the seed's request table. Our API takes the same fields, checked more strictly (request.ts). */
interface SentBlock {
  tariff: string;
  conditions?: { cancellation?: number | false; booking_method?: number };
  recovery?: { unit: 'percent' | 'day'; amount: number; sum: number };
  total_cost: number;
  quantity: number;
  living?: Living[];
}
export interface SentRequisites {
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
}
export interface HotelBookingFields {
  arrival_date: string;
  departure_date: string;
  blocks: SentBlock[];
  requisites?: SentRequisites;
}
/** A continuation names its request_id and sends only what changes. `accepted` is the seed's boolean, sent as 1. */
export type HotelBookingRequest = Partial<HotelBookingFields> & {
  request_id?: string;
  next_state?: Stage;
  accepted?: 1;
};

/** One field that differs: what was asked, what the hotel actually has. */
interface Difference {
  field: string;
  requested: unknown;
  actual: unknown;
}

/**
 * An answer the booking can go on from (ok, rejected, requirements). `error`
 * and `failure` never come back as answers: the client raises them (retried, refused).
 */
export interface HotelStop {
  state: Stage;
  status: 'ok' | 'rejected' | 'requirements';
  requestId: string;
  booking: ShownBooking;
  /** `rejected`: every `[sent, actual]` pair of status_body, by field path. */
  differences: Difference[];
  /** `requirements`: the fields still missing, by field path. */
  missing: string[];
}

/** Field paths of a status_body with the value at each (`blocks.1.tariff` → 40901). */
export function fieldsOf(body: unknown, prefix = ''): Array<{ field: string; value: unknown }> {
  const isPair = (v: unknown): boolean => Array.isArray(v) && v.length === 2 && v.every((x) => x === null || typeof x !== 'object');
  if (body === null || typeof body !== 'object' || isPair(body)) return prefix ? [{ field: prefix, value: body }] : [];
  return Object.entries(body).flatMap(([key, value]) => fieldsOf(value, prefix ? `${prefix}.${key}` : key));
}

/** hotels24's own message in an error answer (`msg` of the envelope). */
export function readHotels24Refusal(_status: number, body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return typeof body === 'string' && body ? body : undefined;
  const { msg } = body as { msg?: unknown };
  return typeof msg === 'string' && msg ? msg : undefined;
}

/** An envelope with `ok: 0` answered with HTTP 200 is a refusal in hotels24's words. */
export function hotels24RefusalIn2xx(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { ok, msg } = body as { ok?: unknown; msg?: unknown };
  if (ok === 0 || ok === false || ok === '0' || ok === 'no' || ok === 'false') return typeof msg === 'string' && msg ? msg : 'hotels24 refused the request';
  return undefined;
}
