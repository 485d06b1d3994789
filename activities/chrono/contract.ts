/**
 * The chrono bookings API (chrono's "Gestion des réservations" document, the
 * seed), as zod schemas of its wire format. Field names keep the provider's
 * spelling. Tolerant readers: an answer must carry only what the seed (or,
 * for fillslot, the project's assumption) promises and a step uses; every
 * other field is optional and kept (passed through to the view and the API).
 *
 * Where the seed is silent, the project assumes (and the simulator follows):
 * - creation is the product's `POST /api/agenda/{agenda}/fillslot/{slot}/`
 *   (the same product's public API), answering `{err: 0, booking_id, in_waiting_list, ...}`; only
 *   `err` and `booking_id` are required: without `in_waiting_list` the booking
 *   is read (`GET /api/booking/{id}/`, which the seed documents), and
 *   `datetime` / `end_datetime` / `agenda` are shown when they come and are
 *   unknown when they do not (the workflow then has a fallback for the event's
 *   end, see workflows/chrono.ts); unknown keys of fillslot's body are kept in
 *   `extra_data`;
 * - `datetime` and `end_datetime` are the agenda's local time
 *   ("YYYY-MM-DD HH:MM[:SS]"); the request's `timezone` says which zone; a
 *   value of another shape is kept for display and counts as unknown;
 * - chrono has no idempotency key: fillslot's body carries our bookingId as a
 *   tag (`orchestrator_booking_id`), which chrono keeps in `extra_data`, and
 *   the user's list (`GET /api/bookings/?user_external_id=&agenda=`) shows it:
 *   that is how a booking whose answer was lost is found and cancelled;
 * - refusals are HTTP 200 with `err` != 0 and `err_class` (the seed's words),
 *   invalid payloads HTTP 400 with the same shape, unknown bookings HTTP 404
 *   `{"detail": ...}`, auth failures 401 `{"detail": ...}` (Bearer token);
 * - a deleted booking answers 404 afterwards, so a cancel that finds nothing
 *   has nothing left to release;
 * - DELETE's example is split in two blocks in the seed: `{"err": 0}` is the
 *   answer, `booking_id` beside it may come or not.
 */
import { z } from 'zod';
import { ORCHESTRATOR_KEY } from './tag';

/** The IANA time zones this runtime knows by their canonical names, and UTC: a list, so the OpenAPI document can name them. */
const TIME_ZONES = [...new Set([...Intl.supportedValuesOf('timeZone'), 'UTC'])] as [string, ...string[]];

/** A booking on a chrono agenda, as the API takes it (`POST /api/v1/bookings`, `"provider": "chrono"`). */
export const ChronoBookingRequest = z.object({
  agenda: z.string().regex(/^[\w-]+$/, 'agenda is the slug of a chrono agenda'),
  /** The event's id or slug, as in fillslot's path. */
  slot: z.union([z.string().regex(/^[\w-]+$/, 'slot is the id or slug of an event of the agenda'), z.int().min(1)]),
  user_external_id: z.string({ error: 'user_external_id is required' }).min(1, 'user_external_id is required').max(250, 'user_external_id is at most 250 characters'),
  user_first_name: z.string().max(250).optional(),
  user_last_name: z.string().max(250).optional(),
  user_email: z.email({ error: 'user_email must be an email address' }).optional(),
  user_phone_number: z.string().max(30).optional(),
  label: z.string().max(250).optional(),
  count: z.int().min(1, 'count is at least 1').max(100).default(1),
  /** chrono's own rule: refuse a second booking of the same user on the event. */
  exclude_user: z.boolean().optional(),
  /** The zone of the agenda's local times in chrono's answers. */
  timezone: z.enum(TIME_ZONES, { error: 'timezone must be an IANA time zone such as Europe/Paris' }).default('Europe/Paris'),
});
export type ChronoBookingRequest = z.infer<typeof ChronoBookingRequest>;

/** Key of fillslot's body (kept by chrono in `extra_data`) that ties a chrono booking to ours. */
export { ORCHESTRATOR_KEY };

export const FillslotRequest = z.object({
  user_external_id: z.string(),
  user_first_name: z.string().optional(),
  user_last_name: z.string().optional(),
  user_email: z.string().optional(),
  user_phone_number: z.string().optional(),
  label: z.string().optional(),
  count: z.int(),
  exclude_user: z.boolean().optional(),
  [ORCHESTRATOR_KEY]: z.string(),
});
export type FillslotRequest = z.infer<typeof FillslotRequest>;

/** chrono's local time, "YYYY-MM-DD HH:MM[:SS]": the only shape the workflow reads as a time. */
export const LocalDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/, 'a local date and time "YYYY-MM-DD HH:MM:SS"');

/** chrono's booking ids are integers; one written as a string of digits is read too. */
export const BookingId = z.union([z.int(), z.string().regex(/^\d+$/).transform(Number)]).pipe(z.int().min(1));

export const FillslotResponse = z.looseObject({
  err: z.literal(0),
  booking_id: BookingId,
  in_waiting_list: z.boolean().optional().catch(undefined),
  datetime: z.unknown().optional(),
  end_datetime: z.unknown().optional(),
  agenda: z.unknown().optional(),
  places: z.unknown().optional(),
});
export type FillslotResponse = z.infer<typeof FillslotResponse>;

/** cancel, suspend, resize, anonymize and PATCH answer `{err: 0, booking_id}`; `err: 0` is what counts. */
export const BookingAck = z.looseObject({ err: z.literal(0), booking_id: z.unknown().optional() });
export type BookingAck = z.infer<typeof BookingAck>;

/** `overbooked_places` is shown, never needed: a missing or odd one is null. */
export const AcceptResponse = z.looseObject({
  err: z.literal(0),
  booking_id: z.unknown().optional(),
  overbooked_places: z.int().min(0).nullable().optional().catch(null),
});
export type AcceptResponse = z.infer<typeof AcceptResponse>;

/** The seed's DELETE example shows `{"err": 0}`, with `booking_id` beside it. */
export const DeleteResponse = z.looseObject({ err: z.literal(0), booking_id: z.unknown().optional() });

/** A booking in the user's list: its `id` and `extra_data` (where our tag is) are read; the rest is passed through. */
export const UserBooking = z.looseObject({
  id: BookingId,
  in_waiting_list: z.unknown().optional(),
  user_was_present: z.unknown().optional(),
  user_absence_reason: z.unknown().optional(),
  extra_data: z.unknown().optional(),
});
export type UserBooking = z.infer<typeof UserBooking>;

export const UserBookingsResponse = z.looseObject({ err: z.literal(0), data: z.array(UserBooking) });

/** A booking read: `in_waiting_list` is what fillslot's answer may lack and the workflow needs. */
export const BookingReadResponse = z.looseObject({
  err: z.literal(0),
  data: z.looseObject({ in_waiting_list: z.boolean(), booking_id: z.unknown().optional() }),
});
export type BookingReadResponse = z.infer<typeof BookingReadResponse>;

/** Whether a booking of the user's list carries the tag of our booking `bookingId`. */
export const isTaggedWith = (booking: UserBooking, bookingId: string): boolean => {
  const extra = booking.extra_data;
  return typeof extra === 'object' && extra !== null && (extra as Record<string, unknown>)[ORCHESTRATOR_KEY] === bookingId;
};

/** A day of the calendar, YYYY-MM-DD: 2021-02-30 is refused, 2024-02-29 is not. */
const IsoDate = (field: string) => z.iso.date({ error: `${field} is a date that exists, YYYY-MM-DD` });

/** The seed's filters of a user's bookings, passed through as they are. */
export const UserBookingsQuery = z.object({
  user_external_id: z.string({ error: 'user_external_id is required' }).min(1, 'user_external_id is required'),
  agenda: z.string().min(1).optional(),
  category: z.string().min(1).optional(),
  date_start: IsoDate('date_start').optional(),
  date_end: IsoDate('date_end').optional(),
});
export type UserBookingsQuery = z.infer<typeof UserBookingsQuery>;

/** Presence after the event: present, or absent with a reason; any other keys land in chrono's `extra_data`. */
export const PresenceRequest = z
  .object({
    user_was_present: z.boolean({ error: 'user_was_present is true or false' }),
    user_absence_reason: z.string().max(250).optional(),
    extra_data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  })
  .strict()
  .refine((p) => !(p.user_was_present && p.user_absence_reason), {
    message: 'an absence reason goes with user_was_present: false',
    path: ['user_absence_reason'],
  })
  .refine((p) => !Object.keys(p.extra_data ?? {}).some((key) => key === 'user_was_present' || key === 'user_absence_reason'), {
    message: 'extra_data may not hold user_was_present or user_absence_reason',
    path: ['extra_data'],
  })
  // The tag that finds the booking at chrono (to release it) is not for anyone to overwrite.
  .refine((p) => !Object.keys(p.extra_data ?? {}).includes(ORCHESTRATOR_KEY), {
    message: `extra_data may not hold ${ORCHESTRATOR_KEY}`,
    path: ['extra_data'],
  })
  // The same rules, for the OpenAPI document.
  .meta({
    not: { properties: { user_was_present: { const: true }, user_absence_reason: { minLength: 1 } }, required: ['user_was_present', 'user_absence_reason'] },
    allOf: [{ properties: { extra_data: { propertyNames: { not: { enum: ['user_was_present', 'user_absence_reason', ORCHESTRATOR_KEY] } } } } }],
  });
export type PresenceRequest = z.infer<typeof PresenceRequest>;

export const ResizeRequest = z.object({ count: z.int({ error: 'count is a whole number of places' }).min(1, 'count is at least 1').max(100) }).strict();
export type ResizeRequest = z.infer<typeof ResizeRequest>;

/** A refusal: HTTP 200 (or 400) with `err` != 0. */
export const ChronoRefusalBody = z.looseObject({
  err: z.number().refine((n) => n !== 0),
  err_class: z.string(),
  err_desc: z.string().optional(),
});
export type ChronoRefusalBody = z.infer<typeof ChronoRefusalBody>;

/** Where a refusal says the booking is at chrono, whatever the workflow believed. */
type ChronoPlace = 'main_list' | 'waiting_list' | 'cancelled';

interface RefusalMeaning {
  code: string;
  meaning: string;
  /** What the refusal tells of the booking's place at chrono; null when it says nothing. */
  place: ChronoPlace | null;
}

/** Every `err_class` of the seed, and of fillslot, with what it means for the booking. */
const CHRONO_REFUSALS: Record<string, RefusalMeaning> = {
  'booking is cancelled': { code: 'booking_cancelled', meaning: 'the booking is cancelled at chrono', place: 'cancelled' },
  'already cancelled': { code: 'already_cancelled', meaning: 'the booking was already cancelled at chrono', place: 'cancelled' },
  'booking is in waiting list': {
    code: 'in_waiting_list',
    meaning: 'the booking is on the waiting list at chrono; presence is marked on the main list only',
    place: 'waiting_list',
  },
  'booking is not in waiting list': { code: 'not_in_waiting_list', meaning: 'the booking is already on the main list at chrono', place: 'main_list' },
  'booking is already in waiting list': { code: 'already_in_waiting_list', meaning: 'the booking is already on the waiting list at chrono', place: 'waiting_list' },
  'event is marked as checked': { code: 'event_checked', meaning: 'the event is marked as checked at chrono: presence can no longer change', place: null },
  'sold out': { code: 'sold_out', meaning: 'the event has no places left for this', place: null },
  'event is already booked by user': { code: 'already_booked_by_user', meaning: 'the user already holds a booking on this event', place: null },
};

/** What a refused activity carries in its failure details, for the workflow to act on. */
export interface ChronoRefusal {
  err: number;
  err_class: string;
  err_desc?: string;
  code: string;
  meaning: string;
  place: ChronoPlace | null;
}

export function chronoRefusalOf(body: ChronoRefusalBody): ChronoRefusal {
  const known = CHRONO_REFUSALS[body.err_class];
  return {
    err: body.err,
    err_class: body.err_class,
    ...(body.err_desc !== undefined ? { err_desc: body.err_desc } : {}),
    code: known?.code ?? 'refused',
    meaning: known?.meaning ?? `chrono refused (err ${body.err})${body.err_desc ? `: ${body.err_desc}` : ''}`,
    place: known?.place ?? null,
  };
}

/** An answer with `err` != 0 is never a success, whatever its HTTP status: its `err_class`, verbatim. */
export function refusalIn2xx(body: unknown): string | undefined {
  const refusal = ChronoRefusalBody.safeParse(body);
  if (refusal.success) return refusal.data.err_class;
  if (typeof body === 'object' && body !== null && 'err' in body && body.err !== 0) return `chrono refused (err ${String(body.err)})`;
  return undefined;
}

/** chrono's error answers: `{err, err_class, errors}` for payloads, `{detail}` for auth and lookups. */
export function readChronoRefusal(_status: number, body: unknown): string | undefined {
  if (typeof body === 'string') return body || undefined;
  if (typeof body !== 'object' || body === null) return undefined;
  const { err_class: errClass, errors, detail } = body as { err_class?: unknown; errors?: unknown; detail?: unknown };
  if (typeof errClass === 'string') {
    if (typeof errors !== 'object' || errors === null) return errClass;
    const fields = Object.entries(errors as Record<string, unknown>).map(([field, messages]) => `${field}: ${Array.isArray(messages) ? messages.join(', ') : String(messages)}`);
    return `${errClass}: ${fields.join('; ')}`;
  }
  if (typeof detail === 'string') return detail;
  return undefined;
}
