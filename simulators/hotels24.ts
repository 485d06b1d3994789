/**
 * hotels24 simulator: `POST /booking/hotel` of hotels24's booking document (the seed),
 * a staged hotel booking (preConditions → postConditions → preRequisites →
 * postRequisites → complete) over hotels, tariffs, prices per period and stock per room.
 * Scenarios force each status the seed names: `error`, `requirements`, `rejected`, `failure`.
 *
 * Assumptions where the seed is silent:
 * - Auth: none documented; a Bearer token. Missing or wrong: HTTP 401 `{"ok":0,"data":null,"msg":"Unauthorized","code":401}`.
 * - Every processed booking request is HTTP 200 `{"ok":1,...,"msg":"ok","code":200}`; the booking's outcome is `data.status`.
 * - `data.request_id` is always there: null while the request has no identifier (a new request ending at preConditions).
 * - The request_id (from postConditions on) is the booking's identifier: the seed shows no other booking number.
 * - request_id looks like the seed's tariff ids (24 hex, ObjectId); it expires `requestTtlMs` after its last use (failure 41001), unless complete.
 * - The formal table and the example win over the draft: `quantity` (not `qty`), `next_state` (not `nextState`), dates `yyyy-mm-dd`.
 * - `[recovery]` given means `unit`, `amount` and `sum` are all required (the table's `[optional].property` notation).
 * - `total_cost` and `recovery.sum` are for the whole block line (all its `quantity`, all nights); recovery in days = the first nights.
 * - `conditions.cancellation: false` = no cancellation at all; general `cancellation` is false if any block's is, else the largest.
 * - `general_conditions.booking_method` is the hotel's own method (the seed's example: block 1, general 3).
 * - Error codes (the seed shows numeric codes, not their table): 40001 missing, 40002 bad format, 40003 out of range,
 *   40401 unknown tariff, 40402 unknown request_id, 40901 tariff of another hotel, 41001 request_id expired,
 *   42201 departure not after arrival, 42202 arrival in the past.
 * - `status_body` mirrors the request's structure; list entries with nothing to report are `{}` so indexes stay aligned.
 *   For `requirements` it holds the missing fields (40001); for `error` it is `{}`.
 * - What each stage checks: preConditions formats, references, one hotel and stock; postConditions (the request gets its id
 *   first, so a rejection can be accepted) total_cost, recovery and conditions; preRequisites the requisites (missing:
 *   requirements, malformed: failure); complete the agreed conditions and stock again, then consumes stock.
 * - Going on with `request_id`: a stop at `next_state` moves on only with `accepted` (else the stage is shown again); any
 *   other stop resumes at its stage; `accepted` after `rejected` takes the actual values; new dates or blocks restart at
 *   preConditions, new requisites at preRequisites; a completed request answers its booking again and consumes nothing.
 * - A `next_state` before the stage a request starts at is a failure (40003).
 * - The `failure` booking is the request as received (without directives): general_conditions cannot be computed from it.
 * - No stock is held between stages; online payment stages ("... состояния касающиеся оплат") are not documented, not simulated.
 * - A body that is neither JSON nor form: 415; another method: 405; unknown path: 404; all in the envelope with `ok: 0`.
 *
 * Seed-minimal mode (`setFaults({ seedMinimal: true })`): answers carry exactly what the seed lists and nothing the
 * seed leaves unsaid: the draft's envelope `{"ok": 1, "data": ..., "msg": "ok"}` (no `code`), and `data` with `state`,
 * `booking`, `status`, `status_body` and `request_id` only once the request has one and not in a `complete` answer
 * (the seed's example of a complete answer has none).
 */
import { randomBytes } from 'node:crypto';
import type { Response, Router } from 'express';
import { z } from 'zod';
import {
  startSimulator,
  type RunningSimulator,
  type SimulatorDefinition,
  type SimulatorOptions,
} from './harness';

// ---------------------------------------------------------------------------
// Vocabulary of the seed

export const STAGES = ['preConditions', 'postConditions', 'preRequisites', 'postRequisites', 'complete'] as const;
export type Stage = (typeof STAGES)[number];
export type BookingStatus = 'ok' | 'error' | 'requirements' | 'rejected' | 'failure';

export const Hotels24Codes = {
  required: 40001,
  format: 40002,
  range: 40003,
  unknownTariff: 40401,
  unknownRequest: 40402,
  otherHotel: 40901,
  requestExpired: 41001,
  departureNotAfterArrival: 42201,
  arrivalInPast: 42202,
} as const;

// ---------------------------------------------------------------------------
// Inventory and state

export interface PricePeriod {
  from: string;
  to: string;
  price: number;
}
export interface TariffConditions {
  cancellation: number | false;
  booking_method: number;
}
export type RecoveryUnit = 'percent' | 'day';
export interface TariffRecovery {
  unit: RecoveryUnit;
  amount: number;
}
export interface Tariff {
  tariff: string;
  hotel_id: number;
  room_id: number;
  name: string;
  conditions: TariffConditions;
  recovery: TariffRecovery;
  /** Price of a night outside every period. */
  base_price: number;
  prices: PricePeriod[];
}
export interface Room {
  room_id: number;
  name: string;
}
export interface Hotel {
  hotel_id: number;
  name: string;
  city: string;
  booking_method: number;
  rooms: Room[];
}
/** Rooms left to sell per night: `by_date` where a night differs from `allotment`. */
export interface RoomStock {
  allotment: number;
  by_date: Record<string, number>;
}

/** The booking data of a request, kept as the client sent it (directives excluded). */
export interface BookingInput {
  arrival_date?: unknown;
  departure_date?: unknown;
  blocks?: unknown;
  requisites?: unknown;
}

export interface BlockTerms {
  total_cost: number;
  conditions: TariffConditions;
  recovery: TariffRecovery & { sum: number };
}

export interface StagedRequest {
  request_id: string;
  hotel_id: number;
  /** Stage where the last request on this id stopped, and its status. */
  state: Stage;
  status: BookingStatus;
  input: BookingInput;
  /** Terms shown at postConditions and accepted by going on; complete checks them again. */
  agreed?: BlockTerms[];
  created_at: string;
  updated_at: string;
  /** Null once complete: a completed booking stays answerable. */
  expires_at: string | null;
  /** The completed answer, replayed to a client that sends the id again. */
  completed?: BookingResponseData;
}

export interface ErrorScenario {
  request_id?: string;
  hotel_id?: number;
  /** Stage where the error happens; without it, the first stage the request processes. */
  state?: Stage;
  remaining: number;
}

export interface Hotels24State {
  hotels: Hotel[];
  tariffs: Tariff[];
  stock: Record<number, RoomStock>;
  requests: Record<string, StagedRequest>;
  errors: ErrorScenario[];
  seq: number;
}

export interface BookingResponseData {
  state: Stage;
  booking: unknown;
  status: BookingStatus;
  status_body: StatusBody;
  request_id: string | null;
}

type StatusBody = Record<string, unknown>;

// ---------------------------------------------------------------------------
// Fixtures: hotels of hotels24.ua's market, prices in UAH, seasons every year

/** High season in summer, the dearest around New Year, `base_price` elsewhere. */
function seasons(base: number): PricePeriod[] {
  const periods: PricePeriod[] = [];
  for (let year = 2014; year <= 2035; year += 1) {
    periods.push({ from: `${year}-06-01`, to: `${year}-08-31`, price: Math.round(base * 1.4) });
    periods.push({ from: `${year}-12-25`, to: `${year + 1}-01-08`, price: Math.round(base * 1.6) });
  }
  return periods;
}

function tariff(
  id: string,
  hotel_id: number,
  room_id: number,
  name: string,
  conditions: TariffConditions,
  recovery: TariffRecovery,
  base_price: number,
): Tariff {
  return { tariff: id, hotel_id, room_id, name, conditions, recovery, base_price, prices: seasons(base_price) };
}

function fixtures(): Hotels24State {
  return {
    hotels: [
      {
        hotel_id: 1021,
        name: 'Отель Бристоль',
        city: 'Одесса',
        booking_method: 3,
        rooms: [
          { room_id: 101, name: 'Стандарт двухместный' },
          { room_id: 102, name: 'Люкс' },
        ],
      },
      {
        hotel_id: 1187,
        name: 'Гостиница Днестр',
        city: 'Львов',
        booking_method: 1,
        rooms: [
          { room_id: 201, name: 'Эконом одноместный' },
          { room_id: 202, name: 'Семейный' },
        ],
      },
      {
        hotel_id: 2044,
        name: 'Premier Palace',
        city: 'Киев',
        booking_method: 2,
        rooms: [{ room_id: 301, name: 'Superior' }],
      },
    ],
    tariffs: [
      // The seed's example tariff: one night of 2014-09-23 costs 500, 10 % prepaid.
      tariff('507f1f77bcf86cd799439011', 1021, 101, 'Стандарт, гибкий', { cancellation: 3, booking_method: 1 }, { unit: 'percent', amount: 10 }, 500),
      tariff('507f1f77bcf86cd799439012', 1021, 101, 'Стандарт, невозвратный', { cancellation: false, booking_method: 2 }, { unit: 'percent', amount: 100 }, 425),
      tariff('507f1f77bcf86cd799439013', 1021, 102, 'Люкс, завтрак включен', { cancellation: 7, booking_method: 1 }, { unit: 'day', amount: 1 }, 1800),
      tariff('507f1f77bcf86cd799439021', 1187, 201, 'Эконом', { cancellation: 1, booking_method: 1 }, { unit: 'day', amount: 1 }, 650),
      tariff('507f1f77bcf86cd799439022', 1187, 202, 'Семейный, 2+2', { cancellation: 5, booking_method: 2 }, { unit: 'percent', amount: 30 }, 1200),
      tariff('507f1f77bcf86cd799439031', 2044, 301, 'Superior, завтрак', { cancellation: 14, booking_method: 2 }, { unit: 'percent', amount: 50 }, 3200),
    ],
    stock: {
      101: { allotment: 5, by_date: {} },
      102: { allotment: 2, by_date: {} },
      201: { allotment: 8, by_date: {} },
      202: { allotment: 3, by_date: {} },
      301: { allotment: 1, by_date: {} },
    },
    requests: {},
    errors: [],
    seq: 0,
  };
}

// ---------------------------------------------------------------------------
// Wire format: what the seed's table says, with the seed's loose scalar types

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Form bodies carry every scalar as a string. */
const toInt = (v: unknown): unknown => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v);

/** Bracket notation with large indexes reaches us as an object keyed "0", "1", ... */
const toList = (v: unknown): unknown => {
  if (!isRecord(v) || !Object.keys(v).every((k) => /^\d+$/.test(k))) return v;
  return Object.keys(v)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => v[k]);
};

const int = (min?: number) => z.preprocess(toInt, min === undefined ? z.number().int() : z.number().int().min(min));

/** The seed's `boolean`: true, false, 1, 0, "yes", "no" (and their string forms in a form body). */
const SeedBoolean = z.preprocess((v) => {
  if (v === 1 || v === '1' || v === 'yes' || v === 'true') return true;
  if (v === 0 || v === '0' || v === 'no' || v === 'false') return false;
  return v;
}, z.boolean());

const Cancellation = z.preprocess(
  (v) => (v === 'false' ? false : toInt(v)),
  z.union([z.literal(false), z.number().int().min(0)]),
);

function isCalendarDate(value: string): boolean {
  const at = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === value;
}
const DateString = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine(isCalendarDate);

const Living = z.object({ first_name: z.string().trim().min(1), last_name: z.string().optional() });
type Living = z.infer<typeof Living>;

const SentRecovery = z
  .object({ unit: z.enum(['percent', 'day']), amount: int(), sum: int(0) })
  .superRefine((r, ctx) => {
    // "1-9 - дни 10-100 - проценты"
    const inRange = r.unit === 'day' ? r.amount >= 1 && r.amount <= 9 : r.amount >= 10 && r.amount <= 100;
    if (!inRange) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'amount out of range', params: { code: Hotels24Codes.range } });
    }
  });

const SentBlock = z.object({
  tariff: z.string().trim().min(1),
  conditions: z
    .object({ cancellation: Cancellation.optional(), booking_method: int().optional() })
    .optional(),
  recovery: SentRecovery.optional(),
  total_cost: int(0),
  quantity: int(1),
  living: z.preprocess(toList, z.array(Living)).optional(),
});
type SentBlock = z.infer<typeof SentBlock>;

const BookingData = z.object({
  arrival_date: DateString,
  departure_date: DateString,
  blocks: z.preprocess(toList, z.array(SentBlock).min(1)),
});

const Directives = z.object({
  request_id: z.string().trim().min(1).optional(),
  next_state: z.enum(STAGES).optional(),
  accepted: SeedBoolean.optional(),
});

const Requisites = z.object({
  first_name: z.string().trim().min(1),
  last_name: z.string().trim().min(1),
  email: z.string().trim().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/),
  phone: z.string().trim().regex(/^\+?[\d\s()-]{7,20}$/),
});

const INPUT_FIELDS = ['arrival_date', 'departure_date', 'blocks', 'requisites'] as const;

function bookingInput(body: Record<string, unknown>): BookingInput {
  const input: BookingInput = {};
  for (const field of INPUT_FIELDS) if (body[field] !== undefined) input[field] = body[field];
  return input;
}

// ---------------------------------------------------------------------------
// status_body: the request's structure, with a code (or a [sent, actual] pair) at each field

function setAt(body: StatusBody, path: readonly PropertyKey[], value: unknown): void {
  let container: Record<string, unknown> | unknown[] = body;
  path.forEach((rawKey, i) => {
    const key = typeof rawKey === 'symbol' ? String(rawKey) : rawKey;
    const last = i === path.length - 1;
    if (Array.isArray(container)) {
      const index = Number(key);
      while (container.length <= index) container.push({});
      if (last) container[index] = value;
      else {
        if (!isRecord(container[index]) && !Array.isArray(container[index])) container[index] = {};
        container = container[index] as Record<string, unknown> | unknown[];
      }
      return;
    }
    const name = String(key);
    if (last) {
      if (container[name] === undefined) container[name] = value;
      return;
    }
    if (!isRecord(container[name]) && !Array.isArray(container[name])) {
      container[name] = typeof path[i + 1] === 'number' ? [] : {};
    }
    container = container[name] as Record<string, unknown> | unknown[];
  });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    const list = toList(value);
    if (Array.isArray(list)) value = list[Number(key)];
    else if (isRecord(list)) value = list[String(key)];
    else return undefined;
  }
  return value;
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

function codeOf(issue: z.core.$ZodIssue, input: unknown): number {
  if (issue.code === 'custom' && typeof issue.params?.code === 'number') return issue.params.code;
  if (isMissing(valueAt(input, issue.path))) return Hotels24Codes.required;
  if (issue.code === 'too_small' || issue.code === 'too_big') return Hotels24Codes.range;
  return Hotels24Codes.format;
}

function issuesBody(issues: readonly z.core.$ZodIssue[], input: unknown, prefix: PropertyKey[] = []): StatusBody {
  const body: StatusBody = {};
  for (const issue of issues) setAt(body, [...prefix, ...issue.path], codeOf(issue, input));
  return body;
}

// ---------------------------------------------------------------------------
// Prices, stock and the actual terms of a block

function addDays(date: string, days: number): string {
  const at = new Date(`${date}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

/** The nights of a stay: arrival included, departure excluded. */
function nightsOf(arrival: string, departure: string): string[] {
  const nights: string[] = [];
  for (let night = arrival; night < departure; night = addDays(night, 1)) nights.push(night);
  return nights;
}

function priceOn(t: Tariff, night: string): number {
  return t.prices.find((p) => p.from <= night && night <= p.to)?.price ?? t.base_price;
}

function availableOn(stock: RoomStock | undefined, night: string): number {
  if (!stock) return 0;
  return Math.max(0, stock.by_date[night] ?? stock.allotment);
}

interface ParsedBlock {
  sent: SentBlock;
  tariff: Tariff;
}
interface ParsedBooking {
  arrival_date: string;
  departure_date: string;
  nights: string[];
  hotel: Hotel;
  blocks: ParsedBlock[];
  requisites: unknown;
}

export interface ActualBlock extends BlockTerms {
  tariff: string;
  quantity: number;
  living: Living[];
}

function actualTerms(block: ParsedBlock, nights: string[]): BlockTerms {
  const { tariff: t, sent } = block;
  const nightly = nights.map((night) => priceOn(t, night));
  const total_cost = nightly.reduce((sum, price) => sum + price, 0) * sent.quantity;
  const sum =
    t.recovery.unit === 'percent'
      ? Math.round((total_cost * t.recovery.amount) / 100)
      : nightly.slice(0, t.recovery.amount).reduce((acc, price) => acc + price, 0) * sent.quantity;
  return {
    total_cost,
    conditions: { cancellation: t.conditions.cancellation, booking_method: t.conditions.booking_method },
    recovery: { unit: t.recovery.unit, amount: t.recovery.amount, sum },
  };
}

/** "One per quantity or one for all; when there are not enough, the one of requisites is taken." */
function livingOf(sent: SentBlock, requisites: unknown): Living[] {
  const living = sent.living ?? [];
  if (!isRecord(requisites) || typeof requisites.first_name !== 'string' || requisites.first_name.trim() === '') {
    return living;
  }
  if (living.length === 1 || living.length >= sent.quantity) return living;
  const booker: Living =
    typeof requisites.last_name === 'string'
      ? { first_name: requisites.first_name, last_name: requisites.last_name }
      : { first_name: requisites.first_name };
  if (living.length === 0) return [booker];
  return [...living, ...Array.from({ length: sent.quantity - living.length }, () => booker)];
}

function actualBlock(block: ParsedBlock, booking: ParsedBooking): ActualBlock {
  const terms = actualTerms(block, booking.nights);
  return {
    tariff: block.tariff.tariff,
    total_cost: terms.total_cost,
    quantity: block.sent.quantity,
    conditions: terms.conditions,
    recovery: terms.recovery,
    living: livingOf(block.sent, booking.requisites),
  };
}

function generalConditions(hotel: Hotel, blocks: ActualBlock[]) {
  const cancellations = blocks.map((b) => b.conditions.cancellation);
  return {
    booking_sum: blocks.reduce((sum, b) => sum + b.total_cost, 0),
    cancellation: cancellations.some((c) => c === false)
      ? false
      : Math.max(...cancellations.map((c) => (c === false ? 0 : c))),
    booking_method: hotel.booking_method,
    recoveries: blocks.map((b) => ({ ...b.recovery })),
    recovery_sum: blocks.reduce((sum, b) => sum + b.recovery.sum, 0),
  };
}

function pickRequisites(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const picked: Record<string, unknown> = {};
  for (const field of ['first_name', 'last_name', 'email', 'phone']) {
    if (raw[field] !== undefined) picked[field] = raw[field];
  }
  return picked;
}

/** The booking as the seed's response shows it: the full request, actual values, general_conditions. */
function bookingView(booking: ParsedBooking) {
  const blocks = booking.blocks.map((b) => actualBlock(b, booking));
  return {
    arrival_date: booking.arrival_date,
    departure_date: booking.departure_date,
    blocks,
    ...(booking.requisites !== undefined ? { requisites: pickRequisites(booking.requisites) } : {}),
    general_conditions: generalConditions(booking.hotel, blocks),
  };
}

// ---------------------------------------------------------------------------
// Parsing a request's booking data (everything preConditions checks but stock)

type Parsed = { ok: true; booking: ParsedBooking } | { ok: false; status_body: StatusBody };

function parseBooking(state: Hotels24State, input: BookingInput, today: string): Parsed {
  const parsed = BookingData.safeParse(input);
  if (!parsed.success) return { ok: false, status_body: issuesBody(parsed.error.issues, input) };
  const { arrival_date, departure_date } = parsed.data;
  const status_body: StatusBody = {};

  if (arrival_date < today) setAt(status_body, ['arrival_date'], Hotels24Codes.arrivalInPast);
  if (departure_date <= arrival_date) setAt(status_body, ['departure_date'], Hotels24Codes.departureNotAfterArrival);

  const blocks: ParsedBlock[] = [];
  let hotel: Hotel | undefined;
  parsed.data.blocks.forEach((sent, i) => {
    const t = state.tariffs.find((candidate) => candidate.tariff === sent.tariff);
    if (!t) {
      setAt(status_body, ['blocks', i, 'tariff'], Hotels24Codes.unknownTariff);
      return;
    }
    // "забронировать номера/блоки из разных отелей невозможно": the first known tariff names the hotel.
    hotel ??= state.hotels.find((h) => h.hotel_id === t.hotel_id);
    if (t.hotel_id !== hotel?.hotel_id) setAt(status_body, ['blocks', i, 'tariff'], Hotels24Codes.otherHotel);
    if (sent.living && sent.living.length > sent.quantity) setAt(status_body, ['blocks', i, 'living'], Hotels24Codes.range);
    blocks.push({ sent, tariff: t });
  });

  if (Object.keys(status_body).length > 0 || !hotel) return { ok: false, status_body };
  return {
    ok: true,
    booking: {
      arrival_date,
      departure_date,
      nights: nightsOf(arrival_date, departure_date),
      hotel,
      blocks,
      requisites: input.requisites,
    },
  };
}

/** The hotel of a request whose data does not parse, for hotel-wide error scenarios. */
function hotelOfInput(state: Hotels24State, input: BookingInput): number | undefined {
  const blocks = toList(input.blocks);
  const first: unknown = Array.isArray(blocks) ? blocks[0] : undefined;
  const id = isRecord(first) ? first.tariff : undefined;
  return state.tariffs.find((t) => t.tariff === id)?.hotel_id;
}

// ---------------------------------------------------------------------------
// The stages' checks: each answers undefined when the stage is passed

interface StageStop {
  status: BookingStatus;
  body: StatusBody;
}

/** Blocks whose room has fewer rooms left than asked on some night: `quantity: [sent, available]`. */
function stockShortfall(state: Hotels24State, booking: ParsedBooking): StageStop | undefined {
  const needed = new Map<number, number>();
  for (const b of booking.blocks) needed.set(b.tariff.room_id, (needed.get(b.tariff.room_id) ?? 0) + b.sent.quantity);
  const body: StatusBody = {};
  booking.blocks.forEach((b, i) => {
    const stock = state.stock[b.tariff.room_id];
    const available = Math.min(...booking.nights.map((night) => availableOn(stock, night)));
    if ((needed.get(b.tariff.room_id) ?? 0) > available) setAt(body, ['blocks', i, 'quantity'], [b.sent.quantity, available]);
  });
  if (Object.keys(body).length === 0) return undefined;
  padBlocks(body, booking.blocks.length);
  return { status: 'rejected', body };
}

function consumeStock(state: Hotels24State, booking: ParsedBooking): void {
  for (const b of booking.blocks) {
    const stock = state.stock[b.tariff.room_id];
    if (!stock) continue;
    for (const night of booking.nights) stock.by_date[night] = availableOn(stock, night) - b.sent.quantity;
  }
}

interface ExpectedTerms {
  total_cost: number;
  conditions?: Partial<TariffConditions>;
  recovery?: Partial<BlockTerms['recovery']>;
}

/** Pairs `[expected, actual]` for every expected value that differs, in the request's structure. */
function termDifferences(expected: ExpectedTerms, actual: BlockTerms): StatusBody {
  const diff: StatusBody = {};
  if (expected.total_cost !== actual.total_cost) diff.total_cost = [expected.total_cost, actual.total_cost];
  for (const key of ['cancellation', 'booking_method'] as const) {
    const sent = expected.conditions?.[key];
    if (sent !== undefined && sent !== actual.conditions[key]) setAt(diff, ['conditions', key], [sent, actual.conditions[key]]);
  }
  for (const key of ['unit', 'amount', 'sum'] as const) {
    const sent = expected.recovery?.[key];
    if (sent !== undefined && sent !== actual.recovery[key]) setAt(diff, ['recovery', key], [sent, actual.recovery[key]]);
  }
  return diff;
}

function padBlocks(body: StatusBody, count: number): void {
  const blocks = body.blocks;
  if (Array.isArray(blocks)) while (blocks.length < count) blocks.push({});
}

function rejectedTerms(booking: ParsedBooking, expected: ExpectedTerms[]): StageStop | undefined {
  const diffs = booking.blocks.map((b, i) => {
    const terms = expected[i];
    return terms ? termDifferences(terms, actualTerms(b, booking.nights)) : {};
  });
  if (diffs.every((d) => Object.keys(d).length === 0)) return undefined;
  return { status: 'rejected', body: { blocks: diffs } };
}

function checkRequisites(raw: unknown): StageStop | undefined {
  if (raw !== undefined && !isRecord(raw)) return { status: 'failure', body: { requisites: Hotels24Codes.format } };
  const requisites = raw ?? {};
  const parsed = Requisites.safeParse(requisites);
  if (parsed.success) return undefined;
  const body = issuesBody(parsed.error.issues, requisites);
  const malformed = parsed.error.issues.some((issue) => codeOf(issue, requisites) !== Hotels24Codes.required);
  // A missing field is data still to come; a malformed one is the client's mistake.
  return { status: malformed ? 'failure' : 'requirements', body: { requisites: body } };
}

// ---------------------------------------------------------------------------
// Running the stages

export interface Hotels24Config {
  /** The simulator's clock: "today" for arrival dates, request_id expiry. */
  now?: () => Date;
  /** How long a staged request_id stays usable after its last use. */
  requestTtlMs?: number;
}
interface ResolvedConfig {
  now: () => Date;
  requestTtlMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function objectId(state: Hotels24State, at: Date): string {
  state.seq += 1;
  const seconds = Math.floor(at.getTime() / 1000).toString(16).padStart(8, '0');
  return `${seconds}${randomBytes(5).toString('hex')}${(state.seq & 0xffffff).toString(16).padStart(6, '0')}`;
}

function takeForcedError(
  state: Hotels24State,
  stage: Stage,
  firstStage: boolean,
  requestId: string | undefined,
  hotelId: number | undefined,
): boolean {
  const scenario = state.errors.find(
    (s) =>
      s.remaining > 0 &&
      (s.request_id !== undefined ? s.request_id === requestId : s.hotel_id === hotelId) &&
      (s.state !== undefined ? s.state === stage : firstStage),
  );
  if (!scenario) return false;
  scenario.remaining -= 1;
  return true;
}

function echo(input: BookingInput): unknown {
  return { ...input };
}

function runStages(
  state: Hotels24State,
  config: ResolvedConfig,
  input: BookingInput,
  existing: StagedRequest | undefined,
  start: number,
  stopAt: number,
): BookingResponseData {
  const now = config.now();
  const parsed = parseBooking(state, input, now.toISOString().slice(0, 10));
  const hotelId = parsed.ok ? parsed.booking.hotel.hotel_id : hotelOfInput(state, input);
  let request = existing;

  const stop = (stage: Stage, status: BookingStatus, status_body: StatusBody): BookingResponseData => {
    const data: BookingResponseData = {
      state: stage,
      booking: parsed.ok ? bookingView(parsed.booking) : echo(input),
      status,
      status_body,
      request_id: request?.request_id ?? null,
    };
    if (request) record(request, data, config, parsed.ok ? parsed.booking.hotel.hotel_id : undefined);
    return data;
  };

  for (let i = start; i < STAGES.length; i += 1) {
    const stage = STAGES[i];
    // postConditions is the first stage with an identifier: a rejection there can be accepted.
    if (stage === 'postConditions' && !request && parsed.ok) {
      request = createRequest(state, config, input, parsed.booking.hotel.hotel_id);
    }
    if (takeForcedError(state, stage, i === start, request?.request_id, hotelId)) return stop(stage, 'error', {});
    if (!parsed.ok) return stop(stage, 'failure', parsed.status_body);
    const booking = parsed.booking;

    let stopped: StageStop | undefined;
    switch (stage) {
      case 'preConditions':
        stopped = stockShortfall(state, booking);
        break;
      case 'postConditions':
        stopped = rejectedTerms(booking, booking.blocks.map((b) => b.sent));
        if (!stopped && request) request.agreed = booking.blocks.map((b) => actualTerms(b, booking.nights));
        break;
      case 'preRequisites':
        stopped = checkRequisites(booking.requisites);
        break;
      case 'postRequisites':
        // Shows the requisites and the living persons drawn from them, for confirmation.
        break;
      case 'complete':
        stopped = rejectedTerms(booking, request?.agreed ?? []) ?? stockShortfall(state, booking);
        if (!stopped) consumeStock(state, booking);
        break;
    }
    if (stopped) return stop(stage, stopped.status, stopped.body);
    if (i === stopAt) return stop(stage, 'ok', {});
  }
  // Unreachable: the loop always stops at complete at the latest.
  return stop('complete', 'ok', {});
}

function createRequest(state: Hotels24State, config: ResolvedConfig, input: BookingInput, hotel_id: number): StagedRequest {
  const now = config.now();
  const request: StagedRequest = {
    request_id: objectId(state, now),
    hotel_id,
    state: 'postConditions',
    status: 'ok',
    input,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    expires_at: new Date(now.getTime() + config.requestTtlMs).toISOString(),
  };
  state.requests[request.request_id] = request;
  return request;
}

function record(request: StagedRequest, data: BookingResponseData, config: ResolvedConfig, hotelId: number | undefined): void {
  const now = config.now();
  request.state = data.state;
  request.status = data.status;
  if (hotelId !== undefined) request.hotel_id = hotelId;
  request.updated_at = now.toISOString();
  const complete = data.state === 'complete' && data.status === 'ok';
  request.expires_at = complete ? null : new Date(now.getTime() + config.requestTtlMs).toISOString();
  if (complete) request.completed = data;
}

/** After `rejected`, `accepted` means "take the actual values": they replace the sent ones. */
function adoptActualTerms(state: Hotels24State, config: ResolvedConfig, request: StagedRequest): void {
  const parsed = parseBooking(state, request.input, config.now().toISOString().slice(0, 10));
  if (!parsed.ok) return;
  const { booking } = parsed;
  const terms = booking.blocks.map((b) => actualTerms(b, booking.nights));
  request.input = {
    ...request.input,
    blocks: booking.blocks.map((b, i) => ({ ...b.sent, ...terms[i] })),
  };
  if (request.state === 'complete') request.agreed = terms;
}

function failure(stage: Stage, status_body: StatusBody, input: BookingInput, requestId: string | null): BookingResponseData {
  return { state: stage, booking: echo(input), status: 'failure', status_body, request_id: requestId };
}

/** One `POST /booking/hotel`: a new request, or the continuation of a staged one. */
function bookHotel(state: Hotels24State, config: ResolvedConfig, body: Record<string, unknown>): BookingResponseData {
  const input = bookingInput(body);
  const known = typeof body.request_id === 'string' ? state.requests[body.request_id.trim()] : undefined;
  const directives = Directives.safeParse(body);
  if (!directives.success) {
    return failure(known?.state ?? 'preConditions', issuesBody(directives.error.issues, body), input, known?.request_id ?? null);
  }
  const { request_id, next_state, accepted } = directives.data;
  const stopAt = next_state ? STAGES.indexOf(next_state) : STAGES.length - 1;
  if (request_id === undefined) return runStages(state, config, input, undefined, 0, stopAt);

  if (!known) return failure('preConditions', { request_id: Hotels24Codes.unknownRequest }, input, null);
  if (known.expires_at !== null && config.now().getTime() > Date.parse(known.expires_at)) {
    return failure(known.state, { request_id: Hotels24Codes.requestExpired }, input, known.request_id);
  }
  if (known.completed) return known.completed;

  const changesConditions = input.arrival_date !== undefined || input.departure_date !== undefined || input.blocks !== undefined;
  let start = STAGES.indexOf(known.state);
  if (known.status === 'ok' && accepted) start += 1;
  if (known.status === 'rejected' && accepted && !changesConditions) adoptActualTerms(state, config, known);
  if (changesConditions) start = 0;
  else if (input.requisites !== undefined) start = Math.min(start, STAGES.indexOf('preRequisites'));

  if (next_state !== undefined && STAGES.indexOf(next_state) < start) {
    return failure(known.state, { next_state: Hotels24Codes.range }, input, known.request_id);
  }
  known.input = { ...known.input, ...input };
  if (changesConditions) delete known.agreed;
  // A stop at next_state that is not accepted holds: the stage is shown again, never passed.
  const held = known.status === 'ok' && !accepted ? STAGES.indexOf(known.state) : STAGES.length - 1;
  return runStages(state, config, known.input, known, start, Math.min(stopAt, held));
}

// ---------------------------------------------------------------------------
// Scenarios and the inventory view (TypeScript and /__control)

export class Hotels24ControlError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export const ForceHotels24Error = z
  .object({
    request_id: z.string().min(1).optional(),
    hotel_id: z.number().int().optional(),
    times: z.number().int().min(1).default(1),
    state: z.enum(STAGES).optional(),
  })
  .refine((s) => (s.request_id === undefined) !== (s.hotel_id === undefined), {
    message: 'give exactly one of request_id, hotel_id',
  });

/** The next `times` requests of a request_id or hotel answer `error` (at `state`, or their first stage), then succeed. */
export function forceHotels24Error(state: Hotels24State, scenario: z.input<typeof ForceHotels24Error>): ErrorScenario {
  const parsed = ForceHotels24Error.parse(scenario);
  const entry: ErrorScenario = { remaining: parsed.times };
  if (parsed.request_id !== undefined) entry.request_id = parsed.request_id;
  if (parsed.hotel_id !== undefined) entry.hotel_id = parsed.hotel_id;
  if (parsed.state !== undefined) entry.state = parsed.state;
  state.errors.push(entry);
  return entry;
}

const PricePeriodSchema = z.object({ from: DateString, to: DateString, price: z.number().int().min(0) });

export const ChangeHotels24Tariff = z.object({
  name: z.string().min(1).optional(),
  conditions: z
    .object({
      cancellation: z.union([z.literal(false), z.number().int().min(0)]).optional(),
      booking_method: z.number().int().optional(),
    })
    .optional(),
  recovery: z.object({ unit: z.enum(['percent', 'day']).optional(), amount: z.number().int().min(1).max(100).optional() }).optional(),
  base_price: z.number().int().min(0).optional(),
  prices: z.array(PricePeriodSchema).optional(),
});

/** Changes a tariff's actual terms, as the hotel would in its extranet: the next check sees them. */
export function changeHotels24Tariff(state: Hotels24State, id: string, change: z.input<typeof ChangeHotels24Tariff>): Tariff {
  const parsed = ChangeHotels24Tariff.parse(change);
  const t = state.tariffs.find((candidate) => candidate.tariff === id);
  if (!t) throw new Hotels24ControlError(`unknown tariff ${id}`, 404);
  if (parsed.name !== undefined) t.name = parsed.name;
  if (parsed.conditions?.cancellation !== undefined) t.conditions.cancellation = parsed.conditions.cancellation;
  if (parsed.conditions?.booking_method !== undefined) t.conditions.booking_method = parsed.conditions.booking_method;
  if (parsed.recovery?.unit !== undefined) t.recovery.unit = parsed.recovery.unit;
  if (parsed.recovery?.amount !== undefined) t.recovery.amount = parsed.recovery.amount;
  if (parsed.base_price !== undefined) t.base_price = parsed.base_price;
  if (parsed.prices !== undefined) t.prices = parsed.prices;
  return t;
}

export const SetHotels24Stock = z
  .object({
    tariff: z.string().min(1).optional(),
    room_id: z.number().int().optional(),
    available: z.number().int().min(0),
    /** Nights to set; without them, every night (the allotment, dropping per-night values). */
    dates: z.array(DateString).optional(),
  })
  .refine((s) => (s.tariff === undefined) !== (s.room_id === undefined), { message: 'give exactly one of tariff, room_id' });

/** Sets the rooms left to sell for a room (or a tariff's room), every night or the given ones. */
export function setHotels24Stock(state: Hotels24State, change: z.input<typeof SetHotels24Stock>): RoomStock & { room_id: number } {
  const parsed = SetHotels24Stock.parse(change);
  const roomId = parsed.room_id ?? state.tariffs.find((t) => t.tariff === parsed.tariff)?.room_id;
  const stock = roomId === undefined ? undefined : state.stock[roomId];
  if (roomId === undefined || !stock) throw new Hotels24ControlError(`unknown ${parsed.tariff ? `tariff ${parsed.tariff}` : `room ${parsed.room_id}`}`, 404);
  if (parsed.dates) for (const night of parsed.dates) stock.by_date[night] = parsed.available;
  else {
    stock.allotment = parsed.available;
    stock.by_date = {};
  }
  return { room_id: roomId, ...stock };
}

/** Read-only view for tests and people: hotels with tariffs, stock, staged requests and their stage. */
export function hotels24StateView(state: Hotels24State) {
  return {
    hotels: state.hotels.map((h) => ({ ...h, tariffs: state.tariffs.filter((t) => t.hotel_id === h.hotel_id) })),
    stock: state.hotels.flatMap((h) =>
      h.rooms.map((r) => ({ hotel_id: h.hotel_id, room_id: r.room_id, name: r.name, ...state.stock[r.room_id] })),
    ),
    requests: Object.values(state.requests).map((r) => ({
      request_id: r.request_id,
      hotel_id: r.hotel_id,
      state: r.state,
      status: r.status,
      created_at: r.created_at,
      updated_at: r.updated_at,
      expires_at: r.expires_at,
    })),
    errors: state.errors,
  };
}

// ---------------------------------------------------------------------------
// HTTP

function envelopeError(res: Response, code: number, msg: string): void {
  res.status(code).json({ ok: 0, data: null, msg, code });
}

function controlAction(res: Response, action: () => unknown): void {
  try {
    res.json(action());
  } catch (err) {
    if (err instanceof z.ZodError) res.status(400).json({ error: 'invalid scenario', issues: err.issues });
    else if (err instanceof Hotels24ControlError) res.status(err.status).json({ error: err.message });
    else throw err;
  }
}

/** An answer's data with exactly the fields the seed lists (see the header). */
function seedMinimal(data: BookingResponseData): Record<string, unknown> {
  const { state, booking, status, status_body, request_id } = data;
  return { state, booking, status, status_body, ...(request_id !== null && state !== 'complete' ? { request_id } : {}) };
}

export function hotels24Definition(config: Hotels24Config = {}): SimulatorDefinition<Hotels24State> {
  const resolved: ResolvedConfig = { now: config.now ?? (() => new Date()), requestTtlMs: config.requestTtlMs ?? DAY_MS };
  return {
    initialState: fixtures,
    routes(router: Router, ctx) {
      router.post('/booking/hotel', (req, res) => {
        if (ctx.bearerToken(req) !== ctx.token) return envelopeError(res, 401, 'Unauthorized');
        // Express leaves the body undefined when neither the JSON nor the form parser took it.
        if (req.body === undefined) return envelopeError(res, 415, 'Unsupported Media Type');
        if (!isRecord(req.body)) return envelopeError(res, 400, 'Bad Request');
        const data = bookHotel(ctx.state, resolved, req.body);
        if (ctx.faults.seedMinimal) return res.json({ ok: 1, data: seedMinimal(data), msg: 'ok' });
        res.json({ ok: 1, data, msg: 'ok', code: 200 });
      });
      router.all('/booking/hotel', (_req, res) => envelopeError(res, 405, 'Method Not Allowed'));
      router.use((_req, res) => envelopeError(res, 404, 'Not Found'));
    },
    controlRoutes(router: Router, ctx) {
      router.get('/state', (_req, res) => controlAction(res, () => hotels24StateView(ctx.state)));
      router.post('/errors', (req, res) => controlAction(res, () => forceHotels24Error(ctx.state, req.body)));
      router.post('/tariffs/:tariff', (req, res) =>
        controlAction(res, () => changeHotels24Tariff(ctx.state, req.params.tariff, req.body)),
      );
      router.post('/stock', (req, res) => controlAction(res, () => setHotels24Stock(ctx.state, req.body)));
    },
  };
}

export const hotels24Simulator: SimulatorDefinition<Hotels24State> = hotels24Definition();

export function startHotels24Simulator(
  options: Omit<SimulatorOptions, 'name'> & { port?: number; host?: string } & Hotels24Config,
): Promise<RunningSimulator<Hotels24State>> {
  const { now, requestTtlMs, ...rest } = options;
  return startSimulator(hotels24Definition({ now, requestTtlMs }), { ...rest, name: 'hotels24' });
}
