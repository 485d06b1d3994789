/**
 * The Kontur–Brusnika integration as zod schemas of its wire format, and the
 * booking request the orchestrator accepts for it. Field names and enums keep
 * the seed's spelling (`mortage`, `actived_date`, `feature`).
 *
 * Answers are read tolerantly: a schema requires only what the seed promises
 * AND a step uses; every other field is optional and kept (passed through to
 * the view and the catalogue). Where the seed leaves a shape vague it is read
 * both ways: a premise's `feature` (typed `enum`) and `purchase_option` (type
 * left blank) come as one value or as a list; a field the seed does not list
 * (`section_id`, `reason`, `city_id`, `project_id`...) may be missing.
 *
 * The seed names entities, fields and methods but no paths. Where it is silent
 * the project assumes (and the simulator follows):
 * - REST over JSON with Bearer auth: `GET /cities|/projects|/buildings|/sections|/premises|/leads|/time-slots`,
 *   `GET /agencies/search`, `POST /agencies`, `GET /clients/search`, `POST /clients`,
 *   `POST /bookings`, `GET /bookings/{id}`, `POST /bookings/{id}/cancel`,
 *   `POST /visits`, `GET /visits/{id}`, `POST /visits/{id}/cancel`, `POST /time-slots/{id}/book`;
 * - bookings and visits are listed by their own fields, like every entity the seed
 *   lists: `GET /bookings?client_id=&premise_id=` and `GET /visits?client_id=&project_id=`.
 *   This is how a booking finds a record whose create answer was lost (there is no
 *   idempotency key). A CRM without these lists (404) is still read safely: a booking
 *   is then known to exist from the client's lead on the premise (stage "бронь"), a
 *   visit from its time slot no longer being free, and what cannot be found by id is
 *   flagged for an operator with every id the booking has;
 * - lists answer `{data: [...], meta: {page, per_page, total}}` (per_page at most 100;
 *   `meta` may be missing), one entity `{data: {...}}`, errors `{error: {code, message}}`
 *   with the CRM's message;
 * - 403 `user_blocked` / `booking_limit_exceeded` are business refusals, not credential problems;
 * - `price` is a JSON integer of any size: read exactly (lossless-json, see parseBrusnikaJson) and carried
 *   as a string of digits everywhere after, because a JS number rounds above 2^53;
 * - a booking and a visit are `open` until the CRM decides `success` or `fail` (a `reason`
 *   may come with it; the seed lists none); cancelling one makes it `fail`; cancelling one
 *   that is `fail` already answers 409 `booking_not_active` / `visit_not_active` (released
 *   already), an unknown id 404;
 * - a premise's `purchase_option` as a list is every way it can be bought; as one value it
 *   names one way, not necessarily the only one, so the CRM's answer to the booking decides;
 * - there is no method to delete a client or an agency, nor to release a time slot
 *   booked without a visit: the CRM frees such a slot at its `reserved_until`;
 * - sections and time slots have no fields in the seed: a section is `{id, building_id, ...}`,
 *   a time slot `{id, project_id, date, time, ...}` (`is_free`, `agent_id`, `client_id`,
 *   `visit_id`, `reserved_until` when the CRM gives them); `GET /time-slots` lists free slots;
 * - the CRM works in Yekaterinburg time (UTC+5, no daylight saving): a slot's `date`
 *   and `time` are read in it.
 */
import { z } from 'zod';
import { isLosslessNumber, parse as parseLosslessJson } from 'lossless-json';

// ---------------------------------------------------------------------------
// The seed's enums.

const PremiseType = z.enum(['apartment', 'storeroom', 'parking', 'commercial']);
type PremiseType = z.infer<typeof PremiseType>;

const PremiseFeature = z.enum([
  'sign_exchange_rf',
  'sign_floor_to_ceiling',
  'sign_window_in_the_corridor',
  'sign_window_in_the_bathroom',
  'sign_no_finishing',
  'sign_two_level',
  'sign_separate_entrance',
  'sign_open_plan',
  'sign_balcony',
  'sign_summer_kitchen_on_the_roof',
  'sign_loggia',
  'sign_terrace',
  'sign_roof_terrace',
  'sign_terrace_with_access_to_the_roof',
  'sign_second_bathroom',
  'sign_dressing_room_in_the_bedroom',
  'sign_dressing_room',
  'sign_storage_room',
  'sign_laundry_room',
  'sign_master_bedroom',
  'sign_secondary_apartment',
  'sign_ground_parking',
]);
type PremiseFeature = z.infer<typeof PremiseFeature>;

/** Spelled `mortage` in the seed. */
const PurchaseOption = z.enum(['mortage', 'installment', 'bill', 'full_payment']);
type PurchaseOption = z.infer<typeof PurchaseOption>;

export const LeadStatus = z.enum([
  'открыта',
  'интерес к покупке',
  'презентация',
  'бронь',
  'заявка на договор',
  'договор зарегистрирован',
  'выиграна',
  'отмененная бронь',
  'слетевшая бронь',
  'на паузе',
  'проверка лида',
  'проиграна',
]);
/** The lead stage of a premise booked for its client. */
export const LEAD_BOOKED: z.infer<typeof LeadStatus> = 'бронь';

/** Of bookings and of visits. */
const RequestStatus = z.enum(['open', 'success', 'fail']);
type RequestStatus = z.infer<typeof RequestStatus>;

// ---------------------------------------------------------------------------
// Values.

const Id = z.number().int().positive();
/** A price: an exact non-negative integer, as a string of digits (see parseBrusnikaJson). */
const ExactInteger = z.string().regex(/^\d+$/, 'an exact non-negative integer');
/** Member names whose integers may exceed 2^53. */
const EXACT_INTEGER_FIELDS: ReadonlySet<string> = new Set(['price']);
const DateString = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const TimeString = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time HH:mm');

/**
 * Brusnika's answers, with prices read exactly: JSON.parse would round
 * 9007199254740993 to ...992, so numbers are read losslessly, a price keeps its
 * digits as a string, and every other number must fit a JS number (or the
 * answer is refused as breaking the contract).
 */
export const parseBrusnikaJson = (text: string): unknown =>
  parseLosslessJson(text, (key, value) => (isLosslessNumber(value) ? (EXACT_INTEGER_FIELDS.has(key) ? value.toString() : value.valueOf()) : value));

// ---------------------------------------------------------------------------
// Entities, as Brusnika serves them.

/** A field the seed lists but a step does not need: optional, null allowed. */
const maybe = <T extends z.ZodType>(t: T) => t.nullish();
/** An `enum` the seed leaves vague: one value or a list of values, unknown values kept. */
const OneOrMany = z.union([z.string(), z.array(z.string())]).nullish();


const City = z.looseObject({ id: Id, name: maybe(z.string()), long: maybe(z.string()), lat: maybe(z.string()) });

const Project = z.looseObject({
  id: Id,
  city_id: maybe(Id),
  name: maybe(z.string()),
  brief_description: maybe(z.string()),
  detailed_description: maybe(z.string()),
  end_date: maybe(z.string()),
  photo: maybe(z.string()),
  link: maybe(z.string()),
  description: maybe(z.string()),
});

/** `total_*`: free premises of each type, strings in the seed (numbers read too). */
const Count = maybe(z.union([z.string(), z.number()]));
const Building = z.looseObject({
  id: Id,
  project_id: maybe(Id),
  address: maybe(z.string()),
  number_of_floors: maybe(z.number()),
  brief_description: maybe(z.string()),
  detailed_description: maybe(z.string()),
  total_apartment: Count,
  total_parking_space: Count,
  total_storage: Count,
  total_commercial: Count,
});

const Section = z.looseObject({ id: Id, building_id: maybe(Id), name: maybe(z.string()), number: maybe(z.number()), number_of_floors: maybe(z.number()) });

/** Required: what the premise check uses (its id, whether it is booked or sold). */
export const Premise = z.looseObject({
  id: Id,
  is_booked: z.boolean(),
  is_sold: z.boolean(),
  building_id: maybe(Id),
  section_id: maybe(Id),
  type: maybe(z.string()),
  rooms: maybe(z.number()),
  size: maybe(z.number()),
  price: maybe(ExactInteger),
  floor: maybe(z.number()),
  feature: OneOrMany,
  photos: maybe(z.union([z.string(), z.array(z.string())])),
  purchase_option: OneOrMany,
});
export type Premise = z.infer<typeof Premise>;

/** Required: what finds a booking through the client's lead on the premise. */
const Lead = z.looseObject({
  id: Id,
  client_id: Id,
  premise_id: Id,
  current_status: z.string(),
  state: maybe(z.string()),
  sign_nps_passed: maybe(z.boolean()),
  fee: maybe(z.number()),
  start_date: maybe(z.string()),
  status_updated_at: maybe(z.string()),
  agent_id: maybe(Id),
  manager_id: maybe(Id),
});
type Lead = z.infer<typeof Lead>;

const Agency = z.looseObject({
  id: Id,
  title: maybe(z.string()),
  city_id: maybe(Id),
  legalName: maybe(z.string()),
  inn: maybe(z.string()),
  phone: maybe(z.string()),
  email: maybe(z.string()),
  ownerFullName: maybe(z.string()),
  ownerPhone: maybe(z.string()),
});

/** Required: the id the booking is made for. The name and phone are read, never passed to the workflow. */
export const Client = z.looseObject({
  id: Id,
  fullname: maybe(z.string()),
  phone_number: maybe(z.string()),
  comment: maybe(z.string()),
  actived_date: maybe(z.string()),
  fixing_type_updated_at: maybe(z.string()),
  expiration_date: maybe(z.string()),
  fixing_type: maybe(z.string()),
  agent_id: maybe(Id),
});
export type Client = z.infer<typeof Client>;

/** Required: its id (to cancel it) and its status (to follow it). `reason` is not in the seed: kept when it comes. */
export const Booking = z.looseObject({
  id: Id,
  status: RequestStatus,
  premise_id: maybe(Id),
  client_id: maybe(Id),
  agent_id: maybe(Id),
  date: maybe(z.string()),
  time: maybe(z.string()),
  purchase_option: maybe(z.string()),
  reason: maybe(z.string()),
});
export type Booking = z.infer<typeof Booking>;

export const Visit = z.looseObject({
  id: Id,
  status: RequestStatus,
  project_id: maybe(Id),
  agent_id: maybe(Id),
  client_id: maybe(Id),
  date: maybe(z.string()),
  time: maybe(z.string()),
  request_date: maybe(z.string()),
  request_time: maybe(z.string()),
  reason: maybe(z.string()),
});
export type Visit = z.infer<typeof Visit>;

/** Required: what a visit is made of (its project, date and time). */
const TimeSlot = z.looseObject({
  id: Id,
  project_id: Id,
  date: DateString,
  time: TimeString,
  is_free: maybe(z.boolean()),
  agent_id: maybe(Id),
  client_id: maybe(Id),
  visit_id: maybe(Id),
  reserved_until: maybe(z.string()),
});
type TimeSlot = z.infer<typeof TimeSlot>;

const PageMeta = z.looseObject({ page: z.number().int(), per_page: z.number().int(), total: z.number().int() });
const pageOf = <T extends z.ZodType>(item: T) => z.looseObject({ data: z.array(item), meta: PageMeta.optional() });
const oneOf = <T extends z.ZodType>(item: T) => z.looseObject({ data: item });

export const CitiesPage = pageOf(City);
export const ProjectsPage = pageOf(Project);
export const BuildingsPage = pageOf(Building);
export const SectionsPage = pageOf(Section);
export const PremisesPage = pageOf(Premise);
export const LeadsPage = pageOf(Lead);
export const TimeSlotsPage = pageOf(TimeSlot);
export const AgenciesPage = pageOf(Agency);
export const ClientsPage = pageOf(Client);
export const BookingsPage = pageOf(Booking);
export const VisitsPage = pageOf(Visit);
export const AgencyAnswer = oneOf(Agency);
export const ClientAnswer = oneOf(Client);
export const BookingAnswer = oneOf(Booking);
export const VisitAnswer = oneOf(Visit);
export const TimeSlotAnswer = oneOf(TimeSlot);

// ---------------------------------------------------------------------------
// List filters Brusnika accepts (lists as comma-separated values).

/** Largest page Brusnika serves. */
export const MAX_PER_PAGE = 100;

const QueryId = z.coerce
  .number()
  .int({ error: (issue) => (issue.code === 'too_big' ? `an id is at most ${Number.MAX_SAFE_INTEGER} (2^53 - 1)` : 'an id is a whole number') })
  .positive('an id is positive');
const Paging = {
  page: z.coerce.number().int().min(1).optional(),
  per_page: z.coerce.number().int().min(1).max(MAX_PER_PAGE, `per_page is at most ${MAX_PER_PAGE}`).optional(),
};
const BoolQuery = z.enum(['true', 'false']).transform((v) => v === 'true');
/** `a,b` in one parameter; repeated parameters are joined the same way. */
const listQuery = <T extends z.ZodType>(item: T, items: Record<string, unknown>) =>
  z
    .preprocess(
      (v) => (Array.isArray(v) ? v : [v]).flatMap((s) => (typeof s === 'string' ? s.split(',') : [s])).filter((s) => s !== ''),
      z.array(item).min(1),
    )
    // Documented as what a query string carries: one value or several, never null.
    .meta({ type: 'array', items, minItems: 1 });

export const CitiesQuery = z.object({ ...Paging });
export const ProjectsQuery = z.object({ ...Paging, city_id: QueryId.optional() });
export const BuildingsQuery = z.object({ ...Paging, project_id: QueryId.optional() });
export const SectionsQuery = z.object({ ...Paging, project_id: QueryId.optional(), building_id: QueryId.optional() });
export const PremisesQuery = z.object({
  ...Paging,
  project_id: QueryId.optional(),
  building_id: QueryId.optional(),
  section_id: QueryId.optional(),
  type: listQuery(PremiseType, { type: 'string', enum: PremiseType.options }).optional(),
  rooms: listQuery(z.coerce.number().int().min(0), { type: 'integer', minimum: 0 }).optional(),
  /** Exact integers of any size, as strings: a price filter must not lose digits. */
  price_min: z.string().regex(/^\d+$/, 'price_min is a whole number of roubles').optional(),
  price_max: z.string().regex(/^\d+$/, 'price_max is a whole number of roubles').optional(),
  size_min: z.coerce.number().min(0).optional(),
  size_max: z.coerce.number().min(0).optional(),
  floor_min: z.coerce.number().int().optional(),
  floor_max: z.coerce.number().int().optional(),
  feature: listQuery(PremiseFeature, { type: 'string', enum: PremiseFeature.options }).optional(),
  purchase_option: PurchaseOption.optional(),
  free_only: BoolQuery.optional(),
});
export const LeadsQuery = z.object({ ...Paging, client_id: QueryId.optional(), premise_id: QueryId.optional(), agent_id: QueryId.optional() });
export const BookingsQuery = z.object({ ...Paging, client_id: QueryId.optional(), premise_id: QueryId.optional() });
export const VisitsQuery = z.object({ ...Paging, client_id: QueryId.optional(), project_id: QueryId.optional() });
export type BookingsQuery = z.infer<typeof BookingsQuery>;
export type VisitsQuery = z.infer<typeof VisitsQuery>;
export const TimeSlotsQuery = z.object({ ...Paging, project_id: QueryId.optional(), date: DateString.optional() });
export type CitiesQuery = z.infer<typeof CitiesQuery>;
export type ProjectsQuery = z.infer<typeof ProjectsQuery>;
export type BuildingsQuery = z.infer<typeof BuildingsQuery>;
export type SectionsQuery = z.infer<typeof SectionsQuery>;
export type PremisesQuery = z.infer<typeof PremisesQuery>;
export type LeadsQuery = z.infer<typeof LeadsQuery>;
export type TimeSlotsQuery = z.infer<typeof TimeSlotsQuery>;

// ---------------------------------------------------------------------------
// Bodies Brusnika accepts.

/** A Russian phone: 10 digits, or 11 starting with 7 or 8, in any punctuation. */
const Phone = z.string().regex(/^[^0-9]*(?:[78][^0-9]*)?(?:[0-9][^0-9]*){10}$/, 'a Russian phone number, e.g. +79120010001');
const Inn = z.string().regex(/^(\d{10}|\d{12})$/, 'an INN of 10 or 12 digits');

export const CreateAgencyRequest = z.object({
  title: z.string().trim().min(1, 'title is required'),
  city_id: Id,
  legalName: z.string().min(1).optional(),
  inn: Inn,
  phone: Phone.optional(),
  email: z.email().optional(),
  ownerFullName: z.string().min(1).optional(),
  ownerPhone: Phone.optional(),
});
export type CreateAgencyRequest = z.infer<typeof CreateAgencyRequest>;

/** The client's own fields; `agent_id` is the booking's agent. */
export const ClientDetails = z.object({
  fullname: z.string().trim().min(1, 'fullname is required (surname, name, patronymic)').max(255),
  phone_number: Phone,
  comment: z.string().max(2000).optional(),
});
export type ClientDetails = z.infer<typeof ClientDetails>;
export type CreateClientRequest = ClientDetails & { agent_id: number };

export interface CreateBookingRequest {
  premise_id: number;
  client_id: number;
  agent_id: number;
  purchase_option: PurchaseOption;
  date?: string;
  time?: string;
}

export interface CreateVisitRequest {
  project_id: number;
  agent_id: number;
  client_id: number;
  date: string;
  time: string;
}

// ---------------------------------------------------------------------------
// What the orchestrator accepts: POST /api/v1/bookings with provider "brusnika".

/** An id in Brusnika, with a message that says which. */
const IdOf = (what: string) =>
  z
    .number({ error: `${what} is required: a positive whole number` })
    // A JSON number above 2^53 has lost digits before it is read: refused, and said so.
    .int({ error: (issue) => (issue.code === 'too_big' ? `${what} is at most ${Number.MAX_SAFE_INTEGER} (2^53 - 1)` : `${what} is a whole number`) })
    .positive(`${what} is positive`);

const Agent = {
  /** The Kontur user acting (Brusnika's `agent_id`); the CRM refuses a blocked one or one with no bookings left. */
  agent_id: IdOf('agent_id (the agent\'s user id in Brusnika)'),
  /** The agent's agency: found by `inn`, or created with these fields when Brusnika does not know it. */
  agency: CreateAgencyRequest.optional(),
  /** Found by phone, or created under the agent. */
  client: z.object(ClientDetails.shape, { error: 'client is required: {fullname, phone_number, comment?}' }),
};

export const PremiseBookingRequest = z.object({
  kind: z.literal('premise'),
  ...Agent,
  premise_id: IdOf('premise_id'),
  purchase_option: z.enum(PurchaseOption.options, { error: `purchase_option is one of: ${PurchaseOption.options.join(', ')}` }),
  /** When the booking is made; the CRM takes "now" when absent. */
  date: DateString.optional(),
  time: TimeString.optional(),
});
export type PremiseBookingRequest = z.infer<typeof PremiseBookingRequest>;

export const VisitBookingRequest = z.object({
  kind: z.literal('visit'),
  ...Agent,
  /** A free slot from GET /api/v1/providers/brusnika/time-slots; its project, date and time make the visit. */
  time_slot_id: IdOf('time_slot_id'),
});
export type VisitBookingRequest = z.infer<typeof VisitBookingRequest>;

export const BrusnikaBookingRequest = z.discriminatedUnion('kind', [PremiseBookingRequest, VisitBookingRequest], {
  error: 'kind must be "premise" or "visit"',
});
export type BrusnikaBookingRequest = z.infer<typeof BrusnikaBookingRequest>;

// ---------------------------------------------------------------------------
// Errors.

/** Codes of Brusnika's refusals the orchestrator acts on. */
export const BrusnikaCode = {
  UserBlocked: 'user_blocked',
  BookingLimitExceeded: 'booking_limit_exceeded',
  ClientExists: 'client_exists',
  AgencyExists: 'agency_exists',
  BookingNotActive: 'booking_not_active',
  VisitNotActive: 'visit_not_active',
  TimeSlotTaken: 'time_slot_taken',
  NotFound: 'not_found',
} as const;

const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Brusnika's `error.code`, when the body has one. */
export function brusnikaErrorCode(body: unknown): string | undefined {
  const parsed = ErrorBody.safeParse(body);
  return parsed.success ? parsed.data.error.code : undefined;
}

/** Brusnika's own message, verbatim. */
export function readBrusnikaRefusal(_status: number, body: unknown): string | undefined {
  const parsed = ErrorBody.safeParse(body);
  if (parsed.success) return parsed.data.error.message;
  return typeof body === 'string' && body ? body : undefined;
}

/** 403 also refuses a blocked user or an exhausted booking limit: those are the agent's, not our credentials. */
export function isBrusnikaCredentialsRejection(status: number, body: unknown): boolean {
  const code = brusnikaErrorCode(body);
  return status === 401 || (code !== BrusnikaCode.UserBlocked && code !== BrusnikaCode.BookingLimitExceeded);
}

/** The CRM's clock: UTC+5 (Yekaterinburg), where a slot's date and time are read. */
export const CRM_UTC_OFFSET = '+05:00';
