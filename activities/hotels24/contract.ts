/**
 * The hotels24 staged booking method `POST /booking/hotel`
 * (../shared/seeds/hotels24-booking-hotel.md), as zod schemas of its wire
 * format. Field names keep the provider's spelling.
 *
 * Where the seed is silent, the project assumes (and the simulator follows):
 * - Bearer token auth; a refused token is HTTP 401 in the envelope `{ok: 0, data: null, msg, code}`;
 * - every processed request is HTTP 200 with `ok: 1`; the booking's outcome is `data.status`;
 * - `data.request_id` is there from postConditions on (null before): it is the booking's only identifier;
 * - a staged request_id stays usable for a day after its last use (REQUEST_LIFETIME_MS in
 *   workflows/hotels24.ts); nothing is held at the hotel before `complete`, so a booking that
 *   stops half-way releases nothing: hotels24 lets the staged request lapse;
 * - the formal table and the example win over the draft: `quantity` (not `qty`), `next_state`
 *   (not `nextState`), dates `yyyy-mm-dd`;
 * - `status_body` mirrors the request's structure, with a numeric code at each refused field
 *   (`failure`), the missing fields (`requirements`) or `[sent, actual]` pairs (`rejected`);
 * - `rejected` at preConditions (rooms sold out) comes without a request_id: nothing can be accepted;
 * - hotels24 documents no cancellation: a completed booking cannot be undone by the orchestrator
 *   (DESIGN.md: the hotel is the pivot of any saga it is part of).
 * Request bodies go as JSON or, with `HOTELS24_ENCODING=form`, url-encoded in bracket notation:
 * the seed accepts both.
 */
import { z } from 'zod';

export const STAGES = ['preConditions', 'postConditions', 'preRequisites', 'postRequisites', 'complete'] as const;
export type Stage = (typeof STAGES)[number];

/** `conditions.cancellation`: days before arrival after which cancelling is impossible, or `false` (never). */
const Cancellation = z.union([z.literal(false), z.number().int()]);

export const Living = z.object({ first_name: z.string(), last_name: z.string().optional() });
export type Living = z.infer<typeof Living>;

export const Recovery = z.object({ unit: z.enum(['percent', 'day']), amount: z.number().int(), sum: z.number().int() });
export type Recovery = z.infer<typeof Recovery>;

/** A block as hotels24 shows it: every optional condition filled with the actual value. */
export const ShownBlock = z.object({
  tariff: z.string(),
  total_cost: z.number().int(),
  quantity: z.number().int(),
  conditions: z.object({ cancellation: Cancellation, booking_method: z.number().int() }),
  recovery: Recovery,
  living: z.array(Living).optional(),
});
export type ShownBlock = z.infer<typeof ShownBlock>;

export const GeneralConditions = z.object({
  booking_sum: z.number().int(),
  cancellation: Cancellation,
  booking_method: z.number().int(),
  recoveries: z.array(Recovery),
  recovery_sum: z.number().int(),
});
export type GeneralConditions = z.infer<typeof GeneralConditions>;

/** "the booking's current properties": the full request with actual values, plus general_conditions. */
export const ShownBooking = z.object({
  arrival_date: z.string(),
  departure_date: z.string(),
  blocks: z.array(ShownBlock),
  requisites: z
    .object({ first_name: z.unknown(), last_name: z.unknown(), email: z.unknown(), phone: z.unknown() })
    .partial()
    .optional(),
  general_conditions: GeneralConditions,
});
export type ShownBooking = z.infer<typeof ShownBooking>;

const StatusBody = z.record(z.string(), z.unknown());
const answered = {
  state: z.enum(STAGES),
  status_body: StatusBody,
  request_id: z.string().min(1).nullable().optional(),
};

/** `data` of an answer. On `failure` and `error` the booking may be the request echoed, so it is not read. */
export const HotelBookingData = z.discriminatedUnion('status', [
  z.object({ ...answered, status: z.literal('ok'), booking: ShownBooking }),
  z.object({ ...answered, status: z.literal('rejected'), booking: ShownBooking }),
  z.object({ ...answered, status: z.literal('requirements'), booking: ShownBooking }),
  z.object({ ...answered, status: z.literal('error'), booking: z.unknown() }),
  z.object({ ...answered, status: z.literal('failure'), booking: z.unknown() }),
]);
export type HotelBookingData = z.infer<typeof HotelBookingData>;

/** The seed's envelope: `{"ok": 1, "data": ..., "msg": "ok", "code": 200}`. */
export const HotelBookingResponse = z.object({
  ok: z.union([z.literal(1), z.literal(true)]),
  data: HotelBookingData,
  msg: z.string(),
  code: z.number().int(),
});

/** What we send: the seed's request table. Our API takes the same fields, checked more strictly (workflows/hotels24.ts). */
export interface SentBlock {
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
export interface Difference {
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
  if (ok === 0 || ok === false) return typeof msg === 'string' && msg ? msg : 'hotels24 refused the request';
  return undefined;
}
