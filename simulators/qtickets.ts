/**
 * qtickets Partners API simulator, written from the provider's Partners API document:
 * events and their shows, seats on sale to partners (numbered seats and admission zones),
 * tickets added as holds (`reserved_to`), paid (`paid: 1`, barcode) or removed.
 *
 * Assumptions where the seed is silent:
 * - Errors are answered with HTTP 200, the `status: "error"` envelope carrying them; the setting `errorHttpStatus: 'mapped'` answers 401/404/409/422/500 instead.
 * - `last_update_hash` hashes the show's sale configuration (seats on sale, prices, quotas, seats sold elsewhere): the partner's own tickets leave it alone, as the seed's seats and tickets/add examples carry one hash; the setting `ownTicketsChangeHash` makes them change it too.
 * - In the listing, `scheme.zones` (seat ids only, as the seed shows them) comes with the first show of each scheme; later shows of that scheme leave it out, as in the seed's example.
 * - Only GET and POST are routed; parameters come from the query and the body (JSON or form), the body winning; empty strings count as absent.
 * - `show_id` missing for an event with several shows is a VALIDATION_ERROR; a show_id of another event, or an unknown event, is EVENT_NOT_FOUND.
 * - A seat id the show's scheme does not know is SEAT_NOT_FOUND; a seat of the scheme not on sale to partners, taken, or sold out is SEAT_NOT_AVAILABLE.
 * - `paid` is required on add and update; `reserved_to` (ISO 8601 with an offset, in the future) when paid is 0; it is echoed as sent.
 * - `external_id` is an idempotency key: tickets/add with the external_id of a live ticket of the show updates that ticket (seat_id is then ignored); one live in another show is a VALIDATION_ERROR.
 * - A reservation past its `reserved_to`, or removed, no longer exists: its id answers TICKET_NOT_FOUND and its external_id is free for a new ticket.
 * - A paid ticket can be removed (the partner refunds it) but cannot go back to paid 0 (VALIDATION_ERROR).
 * - Ticket ids are numeric strings counting from the seed's 27061; `external_id` is null when not sent; `barcode` is a 13-digit EAN-13 string issued on payment.
 * - Messages the seed does not spell: "Event not found", "Seat \"…\" not found", "Ticket not found", "Unknown error", and validation messages naming the field.
 * - Start dates are upcoming, computed from the clock at start (Moscow time, +03:00); the listing leaves out shows that have started.
 *
 * Seed-minimal mode (`setFaults({ seedMinimal: true })`) answers with exactly the fields the
 * document's text describes, where its examples show more:
 * - events/lists: `event_id`, `show_id`, `event_name`, `scheme`, `city`, `start_date`, `last_update_hash` (as always);
 * - events/seats: `last_update_hash` ("returned by every later method") and `zones` (`zone_id`, `name`, `seats`),
 *   each seat with `seat_id`, `available`, `coords`, and `row`/`place` (numbered) or `admission`/`free_quantity`;
 *   no show header, no `price` or `currency_id` (the examples show them, the text does not);
 * - tickets/add: `status`, `last_update_hash`, and `result` with `id`, `external_id` only when one was sent,
 *   `barcode` only when the ticket is paid (no `paid`, no `reserved_to`);
 * - tickets/remove: `status`, `last_update_hash`, `result: true`.
 */
import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import {
  startSimulator,
  type RunningSimulator,
  type SimulatorContext,
  type SimulatorDefinition,
  type SimulatorOptions,
} from './harness';

const API = '/api/partners/v1';

// ---------------------------------------------------------------------------
// Wire vocabulary (the seed's spelling)

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

const MAPPED_HTTP_STATUS: Record<QticketsErrorCode, number> = {
  UNKNOWN_ERROR: 500,
  WRONG_AUTHORIZATION: 401,
  EVENT_NOT_FOUND: 404,
  SEAT_NOT_FOUND: 404,
  SEAT_NOT_AVAILABLE: 409,
  TICKET_NOT_FOUND: 404,
  VALIDATION_ERROR: 422,
};

/** A refusal the API answers as `{"status":"error","code":...,"message":...}`. */
class QticketsError extends Error {
  constructor(
    readonly code: QticketsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const eventNotFound = (): QticketsError => new QticketsError('EVENT_NOT_FOUND', 'Event not found');
const seatNotFound = (seatId: string): QticketsError => new QticketsError('SEAT_NOT_FOUND', `Seat "${seatId}" not found`);
const seatNotAvailable = (seatId: string): QticketsError =>
  new QticketsError('SEAT_NOT_AVAILABLE', `Seat "${seatId}" is not available`);
const ticketNotFound = (): QticketsError => new QticketsError('TICKET_NOT_FOUND', 'Ticket not found');
const invalid = (message: string): QticketsError => new QticketsError('VALIDATION_ERROR', message);

/** The seed spells only two messages; the others follow their style. */
function defaultMessage(code: QticketsErrorCode, seatId: string | undefined): string {
  switch (code) {
    case 'UNKNOWN_ERROR':
      return 'Unknown error';
    case 'WRONG_AUTHORIZATION':
      return 'Wrong authorization';
    case 'EVENT_NOT_FOUND':
      return eventNotFound().message;
    case 'SEAT_NOT_FOUND':
      return seatNotFound(seatId ?? '').message;
    case 'SEAT_NOT_AVAILABLE':
      return seatNotAvailable(seatId ?? '').message;
    case 'TICKET_NOT_FOUND':
      return ticketNotFound().message;
    case 'VALIDATION_ERROR':
      return 'Validation error';
  }
}

// ---------------------------------------------------------------------------
// State

export interface City {
  id: number;
  name: string;
  timezone: string;
  coords: [number, number];
}

export interface SchemeSeat {
  seat_id: string;
  coords: [number, number];
  /** Admission seats sell entry tickets up to a quota; numbered ones have a row and place. */
  admission: boolean;
  row?: number;
  place?: number;
}

export interface SchemeZone {
  zone_id: number;
  name: string;
  seats: SchemeSeat[];
}

export interface Scheme {
  id: number;
  name: string;
  place_name: string;
  place_address: string;
  place_description: string;
  zones: SchemeZone[];
}

/** A seat the organiser offers to partners for one show. */
export interface SaleSeat {
  seat_id: string;
  price: number;
  currency_id: string;
  /** Sold or withdrawn outside the partner API. */
  blocked: boolean;
  /** Tickets partners may hold on it: 1 for a numbered seat, the admission quota otherwise. */
  quota: number;
}

export interface SaleZone {
  zone_id: number;
  seats: SaleSeat[];
}

export interface Show {
  event_id: number;
  show_id: number;
  event_name: string;
  start_date: string;
  scheme_id: number;
  city_id: number;
  sale: SaleZone[];
  /** Bumped by changes the sale configuration does not show (a "touch"), so the hash moves. */
  revision: number;
}

export type TicketStatus = 'reserved' | 'sold' | 'expired' | 'removed';

export interface Ticket {
  id: string;
  event_id: number;
  show_id: number;
  seat_id: string;
  paid: 0 | 1;
  reserved_to: string | null;
  external_id: string | null;
  barcode: string | null;
  status: TicketStatus;
}

export type QticketsMethod = 'tickets/add' | 'tickets/remove';

export interface Refusal {
  method: QticketsMethod;
  show_id?: number;
  seat_id?: string;
  code: QticketsErrorCode;
  message?: string;
  /** How many matching requests to refuse; unlimited when absent. */
  times?: number;
}

export interface Hang {
  method: QticketsMethod;
  show_id?: number;
  seat_id?: string;
  hangMs: number;
  times?: number;
}

export interface QticketsSettings {
  errorHttpStatus: 'ok' | 'mapped';
  ownTicketsChangeHash: boolean;
}

export interface QticketsState {
  cities: City[];
  schemes: Scheme[];
  shows: Show[];
  tickets: Ticket[];
  nextTicketId: number;
  /** Added to the configured clock; moved by POST /__control/clock. */
  clockOffsetMs: number;
  settings: QticketsSettings;
  scenarios: { refusals: Refusal[]; hangs: Hang[] };
}

// ---------------------------------------------------------------------------
// Fixtures

const numbered = (zone_id: number, row: number, place: number, coords: [number, number]): SchemeSeat => ({
  seat_id: `${zone_id}-${row};${place}`,
  coords,
  admission: false,
  row,
  place,
});

const admissionSeat = (zone_id: number, coords: [number, number]): SchemeSeat => ({
  seat_id: `${zone_id}-1;1`,
  coords,
  admission: true,
});

/** A row of numbered seats laid out from `origin`, one `step` apart. */
function seatRow(
  zone_id: number,
  row: number,
  places: number[],
  origin: [number, number],
  step: [number, number],
): SchemeSeat[] {
  return places.map((place, i) => numbered(zone_id, row, place, [origin[0] + i * step[0], origin[1] + i * step[1]]));
}

function kremlinPalace(): Scheme {
  return {
    id: 48,
    name: 'Кремлевский дворец',
    place_name: 'Кремлевский дворец',
    place_address: 'ул. Воздвиженка, 1',
    place_description: 'м. Библиотека им. Ленина, Александровский сад, Боровицкая',
    zones: [
      { zone_id: 8, name: 'VIP left', seats: seatRow(8, 1, [42, 43, 44, 45, 46], [120, 320], [18, 0]) },
      {
        zone_id: 7,
        name: 'Supervip right',
        // The seed's coordinates for places 8..3; 2 and 1 are not offered to partners on show 21.
        seats: [
          numbered(7, 1, 8, [283, 977]),
          numbered(7, 1, 7, [299, 963]),
          numbered(7, 1, 6, [316, 949]),
          numbered(7, 1, 5, [333, 935]),
          numbered(7, 1, 4, [349, 921]),
          numbered(7, 1, 3, [366, 907]),
          numbered(7, 1, 2, [383, 893]),
          numbered(7, 1, 1, [399, 879]),
        ],
      },
      {
        zone_id: 6,
        name: 'VIP right 2',
        seats: [
          numbered(6, 1, 52, [58, 600]),
          numbered(6, 1, 53, [74, 614]),
          numbered(6, 1, 51, [58, 579]),
          numbered(6, 1, 50, [74, 565]),
          numbered(6, 1, 49, [91, 551]),
          numbered(6, 1, 48, [108, 537]),
          numbered(6, 1, 47, [125, 523]),
        ],
      },
      { zone_id: 5, name: 'Supervip left', seats: seatRow(5, 1, [8, 7, 6, 5, 4, 3], [640, 977], [-17, -14]) },
      { zone_id: 4, name: 'VIP left 1', seats: seatRow(4, 1, [49, 50, 51, 52, 53], [860, 551], [17, 14]) },
      { zone_id: 3, name: 'Танцевальный партер', seats: [admissionSeat(3, [730, 806])] },
      { zone_id: 2, name: 'VIP right 1', seats: seatRow(2, 2, [49, 50, 51, 52, 53], [160, 700], [17, 14]) },
      {
        zone_id: 1,
        name: 'VIP 3',
        seats: [
          numbered(1, 1, 49, [992, 137]),
          numbered(1, 1, 3, [1032, 137]),
          numbered(1, 1, 2, [1052, 137]),
          numbered(1, 1, 1, [1072, 137]),
        ],
      },
    ],
  };
}

function kosmonavtClub(): Scheme {
  return {
    id: 63,
    name: 'Космонавт',
    place_name: 'Клуб Космонавт',
    place_address: 'ул. Бронницкая, 24',
    place_description: 'м. Технологический институт, Пушкинская',
    zones: [
      { zone_id: 1, name: 'Танцпол', seats: [admissionSeat(1, [400, 500])] },
      {
        zone_id: 2,
        name: 'Балкон',
        seats: [
          ...seatRow(2, 1, [1, 2, 3, 4, 5, 6], [250, 150], [30, 0]),
          ...seatRow(2, 2, [1, 2, 3, 4, 5, 6], [250, 110], [30, 0]),
        ],
      },
    ],
  };
}

/** Every seat of the given zones of a scheme, at one price. */
function offer(scheme: Scheme, zone_id: number, price: number, quota = 1, only?: string[]): SaleZone {
  const zone = scheme.zones.find((z) => z.zone_id === zone_id);
  if (!zone) throw new Error(`fixture: zone ${zone_id} is not in scheme ${scheme.id}`);
  const seats = only ?? zone.seats.map((s) => s.seat_id);
  return {
    zone_id,
    seats: seats.map((seat_id) => ({ seat_id, price, currency_id: 'RUB', blocked: false, quota })),
  };
}

/** `days` ahead of `base`, at `time` Moscow time, written as the seed writes dates. */
function upcoming(base: Date, days: number, time: string): string {
  const moscow = new Date(base.getTime() + 3 * 3_600_000 + days * 86_400_000);
  const date = moscow.toISOString().slice(0, 10);
  return `${date}T${time}:00+03:00`;
}

function fixtures(now: Date, settings: QticketsSettings): QticketsState {
  const kremlin = kremlinPalace();
  const kosmonavt = kosmonavtClub();
  const show21Zone1: SaleZone = {
    zone_id: 1,
    seats: [
      { seat_id: '1-1;3', price: 1234, currency_id: 'RUB', blocked: false, quota: 1 },
      { seat_id: '1-1;2', price: 100, currency_id: 'RUB', blocked: false, quota: 1 },
    ],
  };
  return {
    cities: [
      { id: 2, name: 'Москва', timezone: 'Europe/Moscow', coords: [55.7558, 37.6176] },
      { id: 1, name: 'Санкт-Петербург', timezone: 'Europe/Moscow', coords: [59.9343, 30.3351] },
    ],
    schemes: [kremlin, kosmonavt],
    shows: [
      {
        event_id: 12,
        show_id: 20,
        event_name: 'Название мероприятия 1',
        start_date: upcoming(now, 30, '19:00'),
        scheme_id: 48,
        city_id: 2,
        sale: [offer(kremlin, 8, 3500), offer(kremlin, 5, 7000), offer(kremlin, 3, 1500, 40), offer(kremlin, 2, 3500)],
        revision: 0,
      },
      {
        // Show 21 offers exactly what the seed's seats example shows.
        event_id: 12,
        show_id: 21,
        event_name: 'Название мероприятия 1',
        start_date: upcoming(now, 60, '17:00'),
        scheme_id: 48,
        city_id: 2,
        sale: [
          offer(kremlin, 7, 0, 1, ['7-1;8', '7-1;7', '7-1;6', '7-1;5', '7-1;4', '7-1;3']),
          offer(kremlin, 6, 0),
          offer(kremlin, 3, 300, 14),
          show21Zone1,
        ],
        revision: 0,
      },
      {
        event_id: 33,
        show_id: 41,
        event_name: 'Название мероприятия 2',
        start_date: upcoming(now, 45, '18:00'),
        scheme_id: 48,
        city_id: 2,
        sale: [offer(kremlin, 4, 2000), offer(kremlin, 3, 800, 5), offer(kremlin, 1, 2500)],
        revision: 0,
      },
      {
        event_id: 57,
        show_id: 77,
        event_name: 'Название мероприятия 3',
        start_date: upcoming(now, 20, '20:00'),
        scheme_id: 63,
        city_id: 1,
        sale: [offer(kosmonavt, 1, 1500, 50), offer(kosmonavt, 2, 2500)],
        revision: 0,
      },
    ],
    tickets: [],
    nextTicketId: 27061,
    clockOffsetMs: 0,
    settings: { ...settings },
    scenarios: { refusals: [], hangs: [] },
  };
}

// ---------------------------------------------------------------------------
// Inventory rules

const isLive = (t: Ticket): boolean => t.status === 'reserved' || t.status === 'sold';

/** A hold whose `reserved_to` has passed frees its seat; evaluated on every read. */
function settle(state: QticketsState, now: Date): void {
  for (const t of state.tickets) {
    if (t.status === 'reserved' && t.reserved_to !== null && Date.parse(t.reserved_to) <= now.getTime()) {
      t.status = 'expired';
    }
  }
}

function schemeOf(state: QticketsState, show: Show): Scheme {
  const scheme = state.schemes.find((s) => s.id === show.scheme_id);
  if (!scheme) throw new Error(`scheme ${show.scheme_id} of show ${show.show_id} is missing`);
  return scheme;
}

function cityOf(state: QticketsState, show: Show): City {
  const city = state.cities.find((c) => c.id === show.city_id);
  if (!city) throw new Error(`city ${show.city_id} of show ${show.show_id} is missing`);
  return city;
}

function schemeSeatOf(scheme: Scheme, seatId: string): SchemeSeat | undefined {
  for (const zone of scheme.zones) {
    const seat = zone.seats.find((s) => s.seat_id === seatId);
    if (seat) return seat;
  }
  return undefined;
}

function saleSeatOf(show: Show, seatId: string): SaleSeat | undefined {
  for (const zone of show.sale) {
    const seat = zone.seats.find((s) => s.seat_id === seatId);
    if (seat) return seat;
  }
  return undefined;
}

function liveTicketsOn(state: QticketsState, show: Show, seatId: string): Ticket[] {
  return state.tickets.filter((t) => t.show_id === show.show_id && t.seat_id === seatId && isLive(t));
}

function freeQuantity(state: QticketsState, show: Show, seat: SaleSeat): number {
  if (seat.blocked) return 0;
  return Math.max(0, seat.quota - liveTicketsOn(state, show, seat.seat_id).length);
}

function lastUpdateHash(state: QticketsState, show: Show): string {
  const sale = show.sale.flatMap((z) => z.seats.map((s) => [s.seat_id, s.price, s.currency_id, s.blocked, s.quota]));
  const own = state.settings.ownTicketsChangeHash
    ? state.tickets.filter((t) => t.show_id === show.show_id && isLive(t)).map((t) => [t.id, t.seat_id, t.paid])
    : [];
  const content = JSON.stringify({ show_id: show.show_id, revision: show.revision, sale, own });
  return createHash('sha1').update(content).digest('hex');
}

/** EAN-13 of the show and ticket: what a paid ticket's barcode encodes. */
function barcodeFor(show: Show, ticketId: string): string {
  const digits = `2${String(show.show_id).padStart(4, '0')}${ticketId.padStart(7, '0')}`.slice(-12);
  const sum = [...digits].reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return `${digits}${(10 - (sum % 10)) % 10}`;
}

// ---------------------------------------------------------------------------
// Response shapes

function schemeView(scheme: Scheme, withZones: boolean): Record<string, unknown> {
  const head = {
    id: scheme.id,
    name: scheme.name,
    place_name: scheme.place_name,
    place_address: scheme.place_address,
    place_description: scheme.place_description,
  };
  if (!withZones) return head;
  return {
    ...head,
    zones: scheme.zones.map((z) => ({ zone_id: z.zone_id, name: z.name, seats: z.seats.map((s) => ({ seat_id: s.seat_id })) })),
  };
}

function cityView(city: City): City {
  return { id: city.id, name: city.name, timezone: city.timezone, coords: [...city.coords] };
}

/** The event fields every per-show answer starts with. */
function showHeader(state: QticketsState, show: Show, withZones: boolean): Record<string, unknown> {
  return {
    event_id: show.event_id,
    show_id: show.show_id,
    event_name: show.event_name,
    start_date: show.start_date,
    scheme: schemeView(schemeOf(state, show), withZones),
    city: cityView(cityOf(state, show)),
    last_update_hash: lastUpdateHash(state, show),
  };
}

function saleZonesView(state: QticketsState, show: Show): unknown[] {
  const scheme = schemeOf(state, show);
  return show.sale.map((zone) => ({
    zone_id: zone.zone_id,
    name: scheme.zones.find((z) => z.zone_id === zone.zone_id)?.name ?? '',
    seats: zone.seats.map((seat) => {
      const place = schemeSeatOf(scheme, seat.seat_id);
      const free = freeQuantity(state, show, seat);
      const coords = place ? [...place.coords] : [0, 0];
      if (place?.admission) {
        return {
          seat_id: seat.seat_id,
          available: free > 0,
          coords,
          free_quantity: free,
          admission: true,
          price: seat.price,
          currency_id: seat.currency_id,
        };
      }
      return {
        seat_id: seat.seat_id,
        available: free > 0,
        coords,
        row: place?.row,
        place: place?.place,
        price: seat.price,
        currency_id: seat.currency_id,
      };
    }),
  }));
}

function ticketView(t: Ticket): Record<string, unknown> {
  return { id: t.id, paid: t.paid, reserved_to: t.reserved_to, external_id: t.external_id, barcode: t.barcode };
}

/** The ticket as the document's text describes it: `id`; `external_id` "if it was sent"; `barcode` "if the ticket is paid". */
function minimalTicketView(t: Ticket): Record<string, unknown> {
  return { id: t.id, ...(t.external_id === null ? {} : { external_id: t.external_id }), ...(t.paid === 1 ? { barcode: t.barcode } : {}) };
}

/** Seats as the document's text describes them: no `price`, no `currency_id`. */
function minimalZones(zones: unknown[]): unknown[] {
  return zones.map((zone) => {
    const { seats, ...rest } = zone as { seats: Record<string, unknown>[] };
    return { ...rest, seats: seats.map(({ price: _price, currency_id: _currency, ...seat }) => seat) };
  });
}

// ---------------------------------------------------------------------------
// Request parameters

/** Query and body merged, the body winning (as PHP frameworks merge them); '' and null count as absent. */
function paramsOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  const fromBody = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
  const merged: Record<string, unknown> = { ...(req.query as Record<string, unknown>), ...fromBody };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== '' && v !== null && v !== undefined));
}

const Text = z.union([z.string(), z.number()], { error: 'must be a string' }).transform(String);

const Paid = z
  .union([z.literal(0), z.literal(1), z.literal('0'), z.literal('1'), z.boolean(), z.literal('true'), z.literal('false')], {
    error: 'must be 0 or 1',
  })
  .transform((v): 0 | 1 => (v === 1 || v === '1' || v === true || v === 'true' ? 1 : 0));

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const ReservedTo = z
  .string({ error: 'must be a date such as 2018-05-24T17:00:00+10:00' })
  .refine((s) => ISO_WITH_OFFSET.test(s) && !Number.isNaN(Date.parse(s)), {
    error: 'must be a date such as 2018-05-24T17:00:00+10:00',
  });

const AddParams = z.object({
  id: Text.optional(),
  external_id: Text.optional(),
  seat_id: Text.optional(),
  paid: Paid.optional(),
  reserved_to: ReservedTo.optional(),
});
type AddParams = z.infer<typeof AddParams>;

const RemoveParams = z.object({ id: Text.optional(), external_id: Text.optional() });

function parseParams<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  const parsed = schema.safeParse(paramsOf(req));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw invalid(`Field "${issue?.path.join('.') ?? ''}" ${issue?.message ?? 'is invalid'}`);
}

// ---------------------------------------------------------------------------
// Scenarios

export const RefusalInput = z.object({
  method: z.enum(['tickets/add', 'tickets/remove']).default('tickets/add'),
  show_id: z.number().int().optional(),
  seat_id: z.string().min(1).optional(),
  code: QticketsErrorCode,
  message: z.string().min(1).optional(),
  times: z.number().int().positive().optional(),
});
export type RefusalInput = z.input<typeof RefusalInput>;

export const HangInput = z.object({
  method: z.enum(['tickets/add', 'tickets/remove']).default('tickets/add'),
  show_id: z.number().int().optional(),
  seat_id: z.string().min(1).optional(),
  hangMs: z.number().int().min(0),
  times: z.number().int().positive().optional(),
});
export type HangInput = z.input<typeof HangInput>;

export const SeatChange = z
  .object({
    show_id: z.number().int(),
    seat_id: z.string().min(1),
    blocked: z.boolean().optional(),
    price: z.number().min(0).optional(),
    quota: z.number().int().min(0).optional(),
  })
  .refine((c) => c.blocked !== undefined || c.price !== undefined || c.quota !== undefined, {
    error: 'give at least one of blocked, price, quota',
  });
export type SeatChange = z.input<typeof SeatChange>;

export const SettingsInput = z.object({
  errorHttpStatus: z.enum(['ok', 'mapped']).optional(),
  ownTicketsChangeHash: z.boolean().optional(),
});

/** From now on, requests of `method` on the seat (any seat if none) are refused with `code`. */
export function refuseSeat(state: QticketsState, input: RefusalInput): Refusal {
  const refusal = RefusalInput.parse(input);
  state.scenarios.refusals.push(refusal);
  return refusal;
}

/** The request is carried out but answered only after `hangMs`: an ambiguous timeout for one seat. */
export function hangSeat(state: QticketsState, input: HangInput): Hang {
  const hang = HangInput.parse(input);
  state.scenarios.hangs.push(hang);
  return hang;
}

export function clearScenarios(state: QticketsState): void {
  state.scenarios = { refusals: [], hangs: [] };
}

/** A control-side mistake (unknown show or seat, impossible change). */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function controlShow(state: QticketsState, showId: number): Show {
  const show = state.shows.find((s) => s.show_id === showId);
  if (!show) throw new ControlError(404, `show ${showId} does not exist`);
  return show;
}

/**
 * The organiser changes a seat behind the partner's back (sells it at the box office,
 * withdraws it, reprices it, changes an admission quota): the show's hash moves.
 */
export function changeSeat(state: QticketsState, input: SeatChange): SaleSeat {
  const change = SeatChange.parse(input);
  const show = controlShow(state, change.show_id);
  const seat = saleSeatOf(show, change.seat_id);
  if (!seat) throw new ControlError(404, `seat ${change.seat_id} is not on sale for show ${change.show_id}`);
  const admission = schemeSeatOf(schemeOf(state, show), seat.seat_id)?.admission ?? false;
  if (change.quota !== undefined && !admission) throw new ControlError(400, 'quota applies to admission seats only');
  if (change.blocked === true && !admission && liveTicketsOn(state, show, seat.seat_id).length > 0) {
    // The organiser cannot sell a seat a partner already holds.
    throw new ControlError(409, `seat ${seat.seat_id} holds a partner ticket`);
  }
  if (change.blocked !== undefined) seat.blocked = change.blocked;
  if (change.price !== undefined) seat.price = change.price;
  if (change.quota !== undefined) seat.quota = change.quota;
  return seat;
}

/** Something of the event changed that the seats do not show: only the hash moves. */
export function touchShow(state: QticketsState, showId: number): void {
  controlShow(state, showId).revision += 1;
}

export function advanceClock(state: QticketsState, ms: number): void {
  state.clockOffsetMs += ms;
}

interface ScenarioTarget {
  method: QticketsMethod;
  show_id: number;
  seat_id: string;
}

const matches = (s: { method: QticketsMethod; show_id?: number; seat_id?: string }, t: ScenarioTarget): boolean =>
  s.method === t.method &&
  (s.show_id === undefined || s.show_id === t.show_id) &&
  (s.seat_id === undefined || s.seat_id === t.seat_id);

/** The first scenario matching the request, its `times` counted down. */
function take<S extends { method: QticketsMethod; show_id?: number; seat_id?: string; times?: number }>(
  list: S[],
  target: ScenarioTarget,
): S | undefined {
  const index = list.findIndex((s) => matches(s, target));
  const found = list[index];
  if (!found) return undefined;
  if (found.times !== undefined) {
    found.times -= 1;
    if (found.times <= 0) list.splice(index, 1);
  }
  return found;
}

function refuseIfScripted(state: QticketsState, target: ScenarioTarget): void {
  const refusal = take(state.scenarios.refusals, target);
  if (refusal) throw new QticketsError(refusal.code, refusal.message ?? defaultMessage(refusal.code, target.seat_id));
}

// ---------------------------------------------------------------------------
// Read-only view for tests and people

export type SeatInventory =
  | { seat_id: string; zone_id: number; admission: false; state: 'free' | 'reserved' | 'sold' | 'unavailable'; ticket_id: string | null }
  | {
      seat_id: string;
      zone_id: number;
      admission: true;
      blocked: boolean;
      quota: number;
      free_quantity: number;
      reserved: string[];
      sold: string[];
    };

export interface ShowInventory {
  event_id: number;
  show_id: number;
  last_update_hash: string;
  seats: SeatInventory[];
}

export interface QticketsView {
  now: string;
  settings: QticketsSettings;
  inventory: ShowInventory[];
  tickets: Ticket[];
  scenarios: QticketsState['scenarios'];
}

function seatInventory(state: QticketsState, show: Show, zone_id: number, seat: SaleSeat): SeatInventory {
  const live = liveTicketsOn(state, show, seat.seat_id);
  const ids = (status: TicketStatus): string[] => live.filter((t) => t.status === status).map((t) => t.id);
  if (schemeSeatOf(schemeOf(state, show), seat.seat_id)?.admission) {
    return {
      seat_id: seat.seat_id,
      zone_id,
      admission: true,
      blocked: seat.blocked,
      quota: seat.quota,
      free_quantity: freeQuantity(state, show, seat),
      reserved: ids('reserved'),
      sold: ids('sold'),
    };
  }
  const ticket = live[0];
  const seatState = ticket ? (ticket.status === 'sold' ? 'sold' : 'reserved') : seat.blocked ? 'unavailable' : 'free';
  return { seat_id: seat.seat_id, zone_id, admission: false, state: seatState, ticket_id: ticket?.id ?? null };
}

/** Every seat on sale of every show with its state, and every ticket ever made. */
export function qticketsView(state: QticketsState, now: Date): QticketsView {
  settle(state, now);
  return {
    now: now.toISOString(),
    settings: { ...state.settings },
    inventory: state.shows.map((show) => ({
      event_id: show.event_id,
      show_id: show.show_id,
      last_update_hash: lastUpdateHash(state, show),
      seats: show.sale.flatMap((zone) => zone.seats.map((seat) => seatInventory(state, show, zone.zone_id, seat))),
    })),
    tickets: state.tickets.map((t) => ({ ...t })),
    scenarios: structuredClone(state.scenarios),
  };
}

// ---------------------------------------------------------------------------
// The provider's routes

export interface QticketsOptions {
  /** The clock reservations expire against; tests inject one. */
  now?: () => Date;
  errorHttpStatus?: QticketsSettings['errorHttpStatus'];
  ownTicketsChangeHash?: boolean;
}

/** Timers of per-seat hangs, cleared when the simulator closes. */
type PendingTimers = Set<NodeJS.Timeout>;

export function createQticketsDefinition(
  options: QticketsOptions = {},
  pending: PendingTimers = new Set(),
): SimulatorDefinition<QticketsState> {
  const baseClock = options.now ?? (() => new Date());
  const settings: QticketsSettings = {
    errorHttpStatus: options.errorHttpStatus ?? 'ok',
    ownTicketsChangeHash: options.ownTicketsChangeHash ?? false,
  };
  const clock = (state: QticketsState): Date => new Date(baseClock().getTime() + state.clockOffsetMs);

  return {
    initialState: () => fixtures(baseClock(), settings),
    routes: (router, ctx) => providerRoutes(router, ctx, clock, pending),
    controlRoutes: (router, ctx) => controlRoutes(router, ctx, clock),
  };
}

function sendError(ctx: SimulatorContext<QticketsState>, res: Response, code: QticketsErrorCode, message: string): void {
  const status = ctx.state.settings.errorHttpStatus === 'mapped' ? MAPPED_HTTP_STATUS[code] : 200;
  res.status(status).json({ status: 'error', code, message });
}

type Handler = (req: Request, res: Response) => void;

/** Refusals become the seed's error envelope; anything unexpected is an UNKNOWN_ERROR, as a real API would answer. */
function guarded(ctx: SimulatorContext<QticketsState>, handler: Handler): Handler {
  return (req, res) => {
    try {
      handler(req, res);
    } catch (err) {
      if (err instanceof QticketsError) sendError(ctx, res, err.code, err.message);
      else sendError(ctx, res, 'UNKNOWN_ERROR', defaultMessage('UNKNOWN_ERROR', undefined));
    }
  };
}

/** The show a per-show path names; `show_id` may be left out only for an event with one show. */
function resolveShow(state: QticketsState, req: Request): Show {
  const eventId = String(req.params.event_id ?? '');
  const showId = req.params.show_id === undefined ? undefined : String(req.params.show_id);
  const shows = state.shows.filter((s) => String(s.event_id) === eventId);
  if (shows.length === 0) throw eventNotFound();
  if (showId === undefined) {
    const only = shows[0];
    if (shows.length > 1 || !only) throw invalid('Field "show_id" is required: the event has more than one show');
    return only;
  }
  const show = shows.find((s) => String(s.show_id) === showId);
  if (!show) throw eventNotFound();
  return show;
}

function providerRoutes(
  router: Router,
  ctx: SimulatorContext<QticketsState>,
  clock: (state: QticketsState) => Date,
  pending: PendingTimers,
): void {
  // The seed: a missing or wrong key gets WRONG_AUTHORIZATION on every method.
  router.use(API, (req: Request, res: Response, next: NextFunction) => {
    if (ctx.bearerToken(req) !== ctx.token) {
      sendError(ctx, res, 'WRONG_AUTHORIZATION', 'Wrong authorization');
      return;
    }
    settle(ctx.state, clock(ctx.state));
    next();
  });

  /** GET and POST answer alike. */
  const both = (path: string, handler: Handler): void => {
    const h = guarded(ctx, handler);
    router.route(`${API}${path}`).get(h).post(h);
  };

  /** Answers now, or after the scripted hang while the work is already done. */
  const reply = (res: Response, body: unknown, target: ScenarioTarget): void => {
    const hang = take(ctx.state.scenarios.hangs, target);
    if (!hang) {
      res.json(body);
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(timer);
      res.json(body);
    }, hang.hangMs);
    timer.unref();
    pending.add(timer);
  };

  both('/events/lists', (_req, res) => {
    const state = ctx.state;
    const now = clock(state).getTime();
    const schemesShown = new Set<number>();
    const result = state.shows
      .filter((show) => Date.parse(show.start_date) > now)
      .map((show) => {
        const first = !schemesShown.has(show.scheme_id);
        schemesShown.add(show.scheme_id);
        return showHeader(state, show, first);
      });
    res.json({ status: 'success', result });
  });

  both('/events/seats/:event_id{/:show_id}', (req, res) => {
    const show = resolveShow(ctx.state, req);
    if (ctx.faults.seedMinimal) {
      res.json({ last_update_hash: lastUpdateHash(ctx.state, show), zones: minimalZones(saleZonesView(ctx.state, show)) });
      return;
    }
    res.json({ ...showHeader(ctx.state, show, true), zones: saleZonesView(ctx.state, show) });
  });

  both('/tickets/add/:event_id{/:show_id}', (req, res) => {
    const state = ctx.state;
    const show = resolveShow(state, req);
    const params = parseParams(AddParams, req);
    const now = clock(state);
    const existing = ticketToUpdate(state, show, params);
    const ticket = existing ? updateTicket(state, show, existing, params, now) : createTicket(state, show, params, now);
    const answer = ctx.faults.seedMinimal
      ? { status: 'success', last_update_hash: lastUpdateHash(state, show), result: minimalTicketView(ticket) }
      : { ...showHeader(state, show, false), status: 'success', result: ticketView(ticket) };
    reply(res, answer, {
      method: 'tickets/add',
      show_id: show.show_id,
      seat_id: ticket.seat_id,
    });
  });

  both('/tickets/remove/:event_id{/:show_id}', (req, res) => {
    const state = ctx.state;
    const show = resolveShow(state, req);
    const params = parseParams(RemoveParams, req);
    if (params.id === undefined && params.external_id === undefined) throw invalid('Field "id" or "external_id" is required');
    const ticket = findLiveTicket(state, show, params);
    if (!ticket) throw ticketNotFound();
    const target: ScenarioTarget = { method: 'tickets/remove', show_id: show.show_id, seat_id: ticket.seat_id };
    refuseIfScripted(state, target);
    ticket.status = 'removed';
    const head = ctx.faults.seedMinimal ? { last_update_hash: lastUpdateHash(state, show) } : showHeader(state, show, false);
    reply(res, { ...head, status: 'success', result: true }, target);
  });
}

function findLiveTicket(state: QticketsState, show: Show, by: { id?: string; external_id?: string }): Ticket | undefined {
  return state.tickets.find(
    (t) =>
      t.show_id === show.show_id &&
      isLive(t) &&
      (by.id !== undefined ? t.id === by.id : t.external_id === by.external_id),
  );
}

/** `id`, or the `external_id` of a live ticket, makes tickets/add an update. */
function ticketToUpdate(state: QticketsState, show: Show, params: AddParams): Ticket | undefined {
  if (params.id !== undefined) {
    const ticket = findLiveTicket(state, show, { id: params.id });
    if (!ticket) throw ticketNotFound();
    return ticket;
  }
  if (params.external_id !== undefined) {
    const ticket = findLiveTicket(state, show, { external_id: params.external_id });
    if (ticket) return ticket;
    if (params.seat_id === undefined) throw ticketNotFound();
  }
  return undefined;
}

function requirePaid(params: AddParams): 0 | 1 {
  if (params.paid === undefined) throw invalid('Field "paid" is required');
  return params.paid;
}

/** A hold needs a `reserved_to` still ahead. */
function requireReservedTo(params: AddParams, now: Date): string {
  if (params.reserved_to === undefined) throw invalid('Field "reserved_to" is required when "paid" is 0');
  if (Date.parse(params.reserved_to) <= now.getTime()) throw invalid('Field "reserved_to" must be a date in the future');
  return params.reserved_to;
}

function createTicket(state: QticketsState, show: Show, params: AddParams, now: Date): Ticket {
  const seatId = params.seat_id;
  if (seatId === undefined) throw invalid('Field "seat_id" is required');
  const paid = requirePaid(params);
  const reservedTo = paid === 0 ? requireReservedTo(params, now) : (params.reserved_to ?? null);
  if (!schemeSeatOf(schemeOf(state, show), seatId)) throw seatNotFound(seatId);
  const seat = saleSeatOf(show, seatId);
  if (!seat) throw seatNotAvailable(seatId);
  if (params.external_id !== undefined && state.tickets.some((t) => isLive(t) && t.external_id === params.external_id)) {
    throw invalid(`Field "external_id" "${params.external_id}" is already used by a ticket of another show`);
  }
  refuseIfScripted(state, { method: 'tickets/add', show_id: show.show_id, seat_id: seatId });
  if (freeQuantity(state, show, seat) <= 0) throw seatNotAvailable(seatId);

  const id = String(state.nextTicketId++);
  const ticket: Ticket = {
    id,
    event_id: show.event_id,
    show_id: show.show_id,
    seat_id: seatId,
    paid,
    reserved_to: reservedTo,
    external_id: params.external_id ?? null,
    barcode: paid === 1 ? barcodeFor(show, id) : null,
    status: paid === 1 ? 'sold' : 'reserved',
  };
  state.tickets.push(ticket);
  return ticket;
}

/** Extend a hold, or pay it (which issues the barcode); paying twice changes nothing. */
function updateTicket(state: QticketsState, show: Show, ticket: Ticket, params: AddParams, now: Date): Ticket {
  const paid = requirePaid(params);
  if (ticket.paid === 1 && paid === 0) throw invalid('Ticket is already paid: "paid" cannot go back to 0');
  const reservedTo = paid === 0 ? requireReservedTo(params, now) : undefined;
  refuseIfScripted(state, { method: 'tickets/add', show_id: show.show_id, seat_id: ticket.seat_id });
  if (paid === 1 && ticket.paid === 0) {
    ticket.paid = 1;
    ticket.status = 'sold';
    ticket.barcode = barcodeFor(show, ticket.id);
  }
  if (reservedTo !== undefined) ticket.reserved_to = reservedTo;
  return ticket;
}

// ---------------------------------------------------------------------------
// Control surface (/__control)

function controlRoutes(router: Router, ctx: SimulatorContext<QticketsState>, clock: (state: QticketsState) => Date): void {
  /** Parses the body, runs the change, answers 400/404/409 for a bad one. */
  const mutation =
    <S extends z.ZodType>(schema: S, apply: (input: z.infer<S>, req: Request) => unknown) =>
    (req: Request, res: Response): void => {
      const parsed = schema.safeParse(req.body ?? {});
      if (!parsed.success) {
        res.status(400).json({ error: 'invalid request', issues: parsed.error.issues });
        return;
      }
      try {
        res.json(apply(parsed.data, req));
      } catch (err) {
        if (!(err instanceof ControlError)) throw err;
        res.status(err.status).json({ error: err.message });
      }
    };

  router.get('/state', (_req, res) => {
    res.json(qticketsView(ctx.state, clock(ctx.state)));
  });

  router.post(
    '/scenarios/refusals',
    mutation(RefusalInput, (input) => ({ refusal: refuseSeat(ctx.state, input), scenarios: ctx.state.scenarios })),
  );

  router.post(
    '/scenarios/hangs',
    mutation(HangInput, (input) => ({ hang: hangSeat(ctx.state, input), scenarios: ctx.state.scenarios })),
  );

  router.delete('/scenarios', (_req, res) => {
    clearScenarios(ctx.state);
    res.json({ scenarios: ctx.state.scenarios });
  });

  router.post(
    '/seats',
    mutation(SeatChange, (input) => {
      const seat = changeSeat(ctx.state, input);
      const show = controlShow(ctx.state, input.show_id);
      return { show_id: show.show_id, last_update_hash: lastUpdateHash(ctx.state, show), seat };
    }),
  );

  router.post(
    '/shows/:show_id/touch',
    mutation(z.object({}), (_input, req) => {
      const show = controlShow(ctx.state, Number(req.params.show_id));
      touchShow(ctx.state, show.show_id);
      return { show_id: show.show_id, last_update_hash: lastUpdateHash(ctx.state, show) };
    }),
  );

  router.post(
    '/clock',
    mutation(z.object({ advanceMs: z.number().int() }), (input) => {
      advanceClock(ctx.state, input.advanceMs);
      return { now: clock(ctx.state).toISOString() };
    }),
  );

  router.post(
    '/settings',
    mutation(SettingsInput, (input) => {
      ctx.state.settings = { ...ctx.state.settings, ...input };
      return ctx.state.settings;
    }),
  );
}

// ---------------------------------------------------------------------------
// Entry points

export const qticketsSimulator: SimulatorDefinition<QticketsState> = createQticketsDefinition();

export interface RunningQticketsSimulator extends RunningSimulator<QticketsState> {
  /** The simulator's clock: the injected one plus any POST /__control/clock advance. */
  now(): Date;
  /** What GET /__control/state answers. */
  view(): QticketsView;
}

export async function startQticketsSimulator(
  options: Omit<SimulatorOptions, 'name'> & QticketsOptions & { port?: number; host?: string },
): Promise<RunningQticketsSimulator> {
  const pending: PendingTimers = new Set();
  const definition = createQticketsDefinition(options, pending);
  const running = await startSimulator(definition, { ...options, name: 'qtickets' });
  const baseClock = options.now ?? (() => new Date());
  const now = (): Date => new Date(baseClock().getTime() + running.ctx.state.clockOffsetMs);
  return {
    ...running,
    now,
    view: () => qticketsView(running.ctx.state, now()),
    close: async () => {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      await running.close();
    },
  };
}
