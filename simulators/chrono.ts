/**
 * chrono (Publik agendas) simulator, written from chrono's bookings API document (the seed):
 * places on the events of agendas, each event with a main list and, when it
 * has one, a waiting list. Managing a booking follows the seed: list, read,
 * PATCH (presence, absence reason, any other key into `extra_data`), cancel,
 * accept, suspend, resize, anonymize, DELETE. Refusals are HTTP 200 with
 * `err` != 0 and the seed's `err_class`, verbatim.
 *
 * Seed-minimal mode (`faults.seedMinimal`): every answer carries exactly the
 * fields the seed's examples list (fillslot: err, booking_id, in_waiting_list,
 * the project's assumption; DELETE: err alone), nothing the product adds.
 *
 * Assumptions where the seed is silent:
 * - Creation is the product's `POST /api/agenda/{agenda}/fillslot/{slot}/` (the same product's public API); `slot` is the event's id or slug.
 * - The fillslot answer carries err, booking_id, in_waiting_list, datetime, end_datetime, agenda {label, slug}, places (the product's places dict), api {booking_url, cancel_url, anonymize_url, accept_url, suspend_url}.
 * - fillslot refuses with {"err": 1, "err_class": "sold out"} when neither the main list nor the waiting list can take `count` places.
 * - Once someone waits, new bookings go to the waiting list even if a main place freed up (the product's `waiting_list_activated`); nobody is promoted automatically: accept does it.
 * - fillslot with `exclude_user: true` refuses a second active booking of the user on the event: {"err": 1, "err_class": "event is already booked by user"}.
 * - fillslot keeps its unknown keys in `extra_data`, as the product's fillslot documentation says.
 * - Auth: Bearer token (the project's convention); 401 with Django REST framework's French `detail` messages.
 * - Unknown booking, agenda, event or path: HTTP 404 {"detail": "Pas trouvé."} (Django REST framework, French).
 * - Invalid bodies: HTTP 400 {"err": 4, "err_class": "invalid payload", "errors": {...}} for PATCH and resize (the seed's numbering skips 2 and 4), err 1 for fillslot.
 * - GET /api/bookings/ without user_external_id: HTTP 400 "missing param user_external_id"; a malformed date: HTTP 400 "invalid filters".
 * - date_start is inclusive and date_end exclusive, both compared with the event's start (as the product's datetimes API does).
 * - The list leaves out cancelled bookings and is ordered by event start, then id; anonymizing clears user_external_id, so the booking leaves the user's list.
 * - "event is marked as checked" refuses only the presence fields (user_was_present, user_absence_reason); other keys still go to extra_data.
 * - accept ignores capacity and reports the excess as `overbooked_places`; suspend ignores the waiting list's size.
 * - resize refuses growth beyond the list the booking is on (main places or waiting list places) with err 3 "sold out"; shrinking always works.
 * - DELETE removes the booking altogether (later calls answer 404); cancel keeps it, cancelled.
 * - Nothing changes with time at chrono (no hold expires), so the simulator has no timers or durations.
 */
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import {
  startSimulator,
  type RunningSimulator,
  type SimulatorContext,
  type SimulatorDefinition,
  type SimulatorOptions,
} from './harness';

// ---------------------------------------------------------------------------
// State

export interface ChronoAgenda {
  slug: string;
  label: string;
  category: string;
}

export interface ChronoEvent {
  id: number;
  agenda: string;
  slug: string;
  label: string;
  /** Local time, chrono's format: "YYYY-MM-DD HH:MM:SS". */
  datetime: string;
  /** Minutes. */
  duration: number;
  places: number;
  /** 0: the event has no waiting list. */
  waiting_list_places: number;
  /** Marked as checked (pointé) and locked: presence can no longer change. */
  checked: boolean;
}

export interface ChronoBooking {
  id: number;
  agenda: string;
  event_id: number;
  /** Places taken by the booking. */
  count: number;
  in_waiting_list: boolean;
  user_external_id: string;
  user_first_name: string;
  user_last_name: string;
  user_email: string;
  user_phone_number: string;
  label: string;
  user_was_present: boolean | null;
  user_absence_reason: string;
  extra_data: Record<string, unknown> | null;
  creation_datetime: string;
  cancellation_datetime: string | null;
  anonymization_datetime: string | null;
}

export const ChronoOperation = z.enum([
  'fillslot',
  'list',
  'read',
  'patch',
  'cancel',
  'accept',
  'suspend',
  'resize',
  'anonymize',
  'delete',
]);
export type ChronoOperation = z.infer<typeof ChronoOperation>;

/** A refusal the next matching call(s) get instead of being handled. */
export const ForcedError = z.object({
  operation: ChronoOperation,
  /** Only calls on this booking (booking operations). */
  booking_id: z.int().optional(),
  /** Only fillslot calls on this agenda / this slot (id or slug, as in the path). */
  agenda: z.string().optional(),
  slot: z.string().optional(),
  err: z.int().min(1),
  err_class: z.string().min(1),
  err_desc: z.string().optional(),
  times: z.int().min(1).default(1),
});
export type ForcedError = z.infer<typeof ForcedError>;

export interface ChronoState {
  agendas: ChronoAgenda[];
  events: ChronoEvent[];
  bookings: ChronoBooking[];
  forcedErrors: ForcedError[];
  nextBookingId: number;
  nextEventId: number;
}

// ---------------------------------------------------------------------------
// Fixtures: a town's swimming pool, gymnasium and library. The user `xxx`
// holds bookings 4 and 11 exactly as in the seed's list example.

const AGENDAS: ChronoAgenda[] = [
  { slug: 'piscine-municipale', label: 'Piscine municipale', category: 'sports' },
  { slug: 'gymnase-jean-moulin', label: 'Gymnase Jean Moulin', category: 'sports' },
  { slug: 'mediatheque-centrale', label: 'Médiathèque centrale', category: 'culture' },
];

const EVENTS: ChronoEvent[] = [
  { id: 44, agenda: 'piscine-municipale', slug: 'aquagym-15-septembre', label: 'Aquagym', datetime: '2021-09-15 10:00:00', duration: 45, places: 3, waiting_list_places: 2, checked: false },
  { id: 45, agenda: 'piscine-municipale', slug: 'bebes-nageurs-18-septembre', label: 'Bébés nageurs', datetime: '2021-09-18 09:30:00', duration: 60, places: 2, waiting_list_places: 0, checked: false },
  { id: 46, agenda: 'gymnase-jean-moulin', slug: 'badminton-17-septembre', label: 'Badminton loisir', datetime: '2021-09-17 18:00:00', duration: 90, places: 10, waiting_list_places: 5, checked: true },
  { id: 47, agenda: 'mediatheque-centrale', slug: 'atelier-numerique-22-septembre', label: 'Atelier numérique', datetime: '2021-09-22 14:00:00', duration: 120, places: 2, waiting_list_places: 3, checked: false },
  { id: 48, agenda: 'mediatheque-centrale', slug: 'heure-du-conte-16-septembre', label: 'Heure du conte', datetime: '2021-09-16 10:30:00', duration: 60, places: 20, waiting_list_places: 0, checked: false },
];

interface FixtureBooking {
  id: number;
  event_id: number;
  user: [external_id: string, first_name: string, last_name: string];
  count?: number;
  in_waiting_list?: boolean;
  user_was_present?: boolean | null;
  user_absence_reason?: string;
  cancelled?: boolean;
}

const CAMILLE: FixtureBooking['user'] = ['8f14e45fceea167a5a36dedd4bea2543', 'Camille', 'Martin'];
const KARIM: FixtureBooking['user'] = ['c9f0f895fb98ab9159f51fd0297e236d', 'Karim', 'Benali'];
const LEA: FixtureBooking['user'] = ['45c48cce2e2d7fbdea1afc51c7c6ad26', 'Léa', 'Dubois'];
const NADIA: FixtureBooking['user'] = ['d3d9446802a44259755d38e6d163e820', 'Nadia', 'Lefèvre'];
const XXX: FixtureBooking['user'] = ['xxx', 'Jean', 'Dupont'];

const BOOKINGS: FixtureBooking[] = [
  { id: 1, event_id: 44, user: CAMILLE },
  { id: 2, event_id: 45, user: KARIM, count: 2 },
  { id: 3, event_id: 46, user: LEA, user_was_present: false, user_absence_reason: 'Maladie' },
  { id: 4, event_id: 44, user: XXX, user_was_present: true },
  { id: 5, event_id: 46, user: CAMILLE, user_was_present: true },
  { id: 6, event_id: 47, user: NADIA, count: 2 },
  { id: 7, event_id: 48, user: CAMILLE, cancelled: true },
  { id: 8, event_id: 47, user: LEA, in_waiting_list: true },
  { id: 9, event_id: 48, user: NADIA, count: 3 },
  { id: 10, event_id: 48, user: KARIM },
  { id: 11, event_id: 48, user: XXX },
];

const FIXTURE_TIME = '2021-09-01T08:00:00.000Z';

function fixtureBooking(f: FixtureBooking): ChronoBooking {
  const event = EVENTS.find((e) => e.id === f.event_id);
  if (!event) throw new Error(`fixture booking ${f.id} names unknown event ${f.event_id}`);
  const [user_external_id, user_first_name, user_last_name] = f.user;
  return {
    id: f.id,
    agenda: event.agenda,
    event_id: event.id,
    count: f.count ?? 1,
    in_waiting_list: f.in_waiting_list ?? false,
    user_external_id,
    user_first_name,
    user_last_name,
    user_email: `${user_first_name.toLowerCase()}.${user_last_name.toLowerCase()}@example.fr`,
    user_phone_number: '+33612345678',
    label: `Inscription ${event.label}`,
    user_was_present: f.user_was_present ?? null,
    user_absence_reason: f.user_absence_reason ?? '',
    extra_data: null,
    creation_datetime: FIXTURE_TIME,
    cancellation_datetime: f.cancelled ? FIXTURE_TIME : null,
    anonymization_datetime: null,
  };
}

function initialState(): ChronoState {
  return {
    agendas: AGENDAS.map((a) => ({ ...a })),
    events: EVENTS.map((e) => ({ ...e })),
    bookings: BOOKINGS.map(fixtureBooking),
    forcedErrors: [],
    nextBookingId: Math.max(...BOOKINGS.map((b) => b.id)) + 1,
    nextEventId: Math.max(...EVENTS.map((e) => e.id)) + 1,
  };
}

// ---------------------------------------------------------------------------
// Places

/** The product's `places` dict; the waiting list keys appear only when there is one. */
export interface ChronoPlaces {
  total: number;
  reserved: number;
  available: number;
  full: boolean;
  has_waiting_list: boolean;
  waiting_list_total?: number;
  waiting_list_reserved?: number;
  waiting_list_available?: number;
  waiting_list_activated?: boolean;
}

function activeBookings(state: ChronoState, event: ChronoEvent): ChronoBooking[] {
  return state.bookings.filter((b) => b.event_id === event.id && b.cancellation_datetime === null);
}

function reservedPlaces(state: ChronoState, event: ChronoEvent, inWaitingList: boolean): number {
  return activeBookings(state, event)
    .filter((b) => b.in_waiting_list === inWaitingList)
    .reduce((sum, b) => sum + b.count, 0);
}

export function placesOf(state: ChronoState, event: ChronoEvent): ChronoPlaces {
  const reserved = reservedPlaces(state, event, false);
  const hasWaitingList = event.waiting_list_places > 0;
  const places: ChronoPlaces = {
    total: event.places,
    reserved,
    available: Math.max(0, event.places - reserved),
    // "full" means the next booking has nowhere to go.
    full: hasWaitingList
      ? reservedPlaces(state, event, true) >= event.waiting_list_places
      : reserved >= event.places,
    has_waiting_list: hasWaitingList,
  };
  if (hasWaitingList) {
    const waiting = reservedPlaces(state, event, true);
    places.waiting_list_total = event.waiting_list_places;
    places.waiting_list_reserved = waiting;
    places.waiting_list_available = Math.max(0, event.waiting_list_places - waiting);
    places.waiting_list_activated = reserved >= event.places || waiting > 0;
  }
  return places;
}

/** Where a new booking of `count` places goes, or 'sold out'. */
function placementOf(state: ChronoState, event: ChronoEvent, count: number): 'main' | 'waiting' | 'sold out' {
  const reserved = reservedPlaces(state, event, false);
  if (event.waiting_list_places === 0) return reserved + count <= event.places ? 'main' : 'sold out';
  const waiting = reservedPlaces(state, event, true);
  // People already waiting keep their turn: nobody jumps the queue.
  if (waiting === 0 && reserved + count <= event.places) return 'main';
  return waiting + count <= event.waiting_list_places ? 'waiting' : 'sold out';
}

// ---------------------------------------------------------------------------
// Read-only view for tests and people (GET /__control/state)

export interface ChronoListEntry {
  booking_id: number;
  count: number;
  user_external_id: string;
}

export function chronoStateView(state: ChronoState) {
  const entry = (b: ChronoBooking): ChronoListEntry => ({
    booking_id: b.id,
    count: b.count,
    user_external_id: b.user_external_id,
  });
  return {
    agendas: state.agendas.map((agenda) => ({
      ...agenda,
      events: state.events
        .filter((e) => e.agenda === agenda.slug)
        .map((event) => {
          const active = activeBookings(state, event).sort((a, b) => a.id - b.id);
          return {
            id: event.id,
            slug: event.slug,
            label: event.label,
            datetime: event.datetime,
            end_datetime: endDatetime(event),
            checked: event.checked,
            places: placesOf(state, event),
            main_list: active.filter((b) => !b.in_waiting_list).map(entry),
            waiting_list: active.filter((b) => b.in_waiting_list).map(entry),
          };
        }),
    })),
    bookings: state.bookings,
    forced_errors: state.forcedErrors,
  };
}

// ---------------------------------------------------------------------------
// Scenario helpers (TypeScript side; the same as /__control over HTTP)

export const EventChange = z.object({
  checked: z.boolean().optional(),
  places: z.int().min(0).optional(),
  waiting_list_places: z.int().min(0).optional(),
});
export type EventChange = z.infer<typeof EventChange>;

export const NewEvent = z.object({
  slug: z.string().regex(/^[a-z0-9-]+$/),
  label: z.string().min(1).optional(),
  datetime: z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
  duration: z.int().min(1).default(60),
  places: z.int().min(0),
  waiting_list_places: z.int().min(0).default(0),
  checked: z.boolean().default(false),
});
export type NewEvent = z.input<typeof NewEvent>;

/** Finds an event of an agenda by its id or its slug, as chrono's paths name it. */
export function findEvent(state: ChronoState, agenda: string, slot: string): ChronoEvent | undefined {
  return state.events.find((e) => e.agenda === agenda && (String(e.id) === slot || e.slug === slot));
}

/** Marks an event as checked, changes its places: what an agent does in chrono's back office. */
export function setChronoEvent(state: ChronoState, agenda: string, slot: string, change: EventChange): ChronoEvent {
  const event = findEvent(state, agenda, slot);
  if (!event) throw new Error(`no event ${slot} in agenda ${agenda}`);
  Object.assign(event, EventChange.parse(change));
  return event;
}

/** Adds an event to an agenda, so a test can have one of its own. */
export function addChronoEvent(state: ChronoState, agenda: string, input: NewEvent): ChronoEvent {
  if (!state.agendas.some((a) => a.slug === agenda)) throw new Error(`no agenda ${agenda}`);
  const parsed = NewEvent.parse(input);
  if (state.events.some((e) => e.agenda === agenda && e.slug === parsed.slug)) {
    throw new Error(`event ${parsed.slug} already exists in agenda ${agenda}`);
  }
  const event: ChronoEvent = { ...parsed, id: state.nextEventId++, agenda, label: parsed.label ?? parsed.slug };
  state.events.push(event);
  return event;
}

/** The next `times` calls matching the rule are refused with its err/err_class. */
export function forceChronoError(state: ChronoState, rule: z.input<typeof ForcedError>): ForcedError {
  const parsed = ForcedError.parse(rule);
  state.forcedErrors.push(parsed);
  return parsed;
}

interface CallTarget {
  booking_id?: number;
  agenda?: string;
  slot?: string;
}

function takeForcedError(state: ChronoState, operation: ChronoOperation, target: CallTarget): ForcedError | undefined {
  const rule = state.forcedErrors.find(
    (r) =>
      r.operation === operation &&
      (r.booking_id === undefined || r.booking_id === target.booking_id) &&
      (r.agenda === undefined || r.agenda === target.agenda) &&
      (r.slot === undefined || r.slot === target.slot),
  );
  if (!rule) return undefined;
  rule.times -= 1;
  if (rule.times <= 0) state.forcedErrors.splice(state.forcedErrors.indexOf(rule), 1);
  return rule;
}

// ---------------------------------------------------------------------------
// Wire helpers

const NOT_FOUND = { detail: 'Pas trouvé.' };

function refuse(res: Response, err: number, err_class: string, err_desc?: string): void {
  res.status(200).json(err_desc === undefined ? { err, err_class } : { err, err_class, err_desc });
}

/** Answers a forced error if one matches; true when it did. */
function answeredByForcedError(
  ctx: SimulatorContext<ChronoState>,
  res: Response,
  operation: ChronoOperation,
  target: CallTarget,
): boolean {
  const rule = takeForcedError(ctx.state, operation, target);
  if (!rule) return false;
  refuse(res, rule.err, rule.err_class, rule.err_desc);
  return true;
}

function invalidPayload(res: Response, err: number, error: z.ZodError): void {
  res.status(400).json({ err, err_class: 'invalid payload', errors: fieldErrors(error) });
}

/** Django REST framework's shape: {field: [messages]}. */
function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.length > 0 ? issue.path.join('.') : 'non_field_errors';
    (errors[key] ??= []).push(issue.message);
  }
  return errors;
}

/** A JSON body as an object; a missing body is an empty one. */
const JsonObject = z.record(z.string(), z.unknown());

function bodyOf(req: Request): z.ZodSafeParseResult<Record<string, unknown>> {
  return JsonObject.safeParse(req.body ?? {});
}

function endDatetime(event: ChronoEvent): string {
  const start = new Date(`${event.datetime.replace(' ', 'T')}Z`);
  const end = new Date(start.getTime() + event.duration * 60_000);
  return end.toISOString().slice(0, 19).replace('T', ' ');
}

function findBooking(state: ChronoState, id: string): ChronoBooking | undefined {
  if (!/^\d+$/.test(id)) return undefined;
  return state.bookings.find((b) => b.id === Number(id));
}

function eventOf(state: ChronoState, booking: ChronoBooking): ChronoEvent {
  const event = state.events.find((e) => e.id === booking.event_id);
  if (!event) throw new Error(`booking ${booking.id} has no event ${booking.event_id}`);
  return event;
}

/**
 * The frame of every booking call: 404 for an unknown booking, then any forced
 * refusal, then the operation itself.
 */
function onBooking(
  ctx: SimulatorContext<ChronoState>,
  operation: ChronoOperation,
  handle: (booking: ChronoBooking, req: Request, res: Response) => void,
) {
  return (req: Request, res: Response): void => {
    const booking = findBooking(ctx.state, String(req.params.id));
    if (!booking) {
      res.status(404).json(NOT_FOUND);
      return;
    }
    if (answeredByForcedError(ctx, res, operation, { booking_id: booking.id })) return;
    handle(booking, req, res);
  };
}

// ---------------------------------------------------------------------------
// Auth

function requireBearer(ctx: SimulatorContext<ChronoState>) {
  return (req: Request, res: Response, next: () => void): void => {
    const token = ctx.bearerToken(req);
    if (token === ctx.token) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="api"');
    res.status(401).json({
      detail: token === undefined ? "Informations d'authentification non fournies." : "Informations d'authentification incorrectes.",
    });
  };
}

// ---------------------------------------------------------------------------
// Creation: fillslot

/** chrono reads counts from forms, where they may arrive as strings. */
const Count = z.union([z.int(), z.string().regex(/^\d+$/).transform(Number)]).pipe(z.int().min(1));

const FillslotRequest = z.object({
  user_external_id: z.string().optional(),
  user_name: z.string().optional(),
  user_first_name: z.string().optional(),
  user_last_name: z.string().optional(),
  user_email: z.string().optional(),
  user_phone_number: z.string().optional(),
  label: z.string().optional(),
  count: Count.optional(),
  exclude_user: z.boolean().optional(),
});

/** Fillslot parameters the product knows; anything else lands in extra_data. */
const FILLSLOT_KEYS = new Set([
  ...Object.keys(FillslotRequest.shape),
  'absence_callback_url',
  'backoffice_url',
  'bypass_delays',
  'cancel_booking_id',
  'cancel_callback_url',
  'events',
  'extra_emails',
  'extra_phone_numbers',
  'form_url',
  'presence_callback_url',
  'sms_counter',
  'user_display_label',
]);

function extraKeys(body: Record<string, unknown>, known: Set<string>): Record<string, unknown> | null {
  const extra = Object.fromEntries(Object.entries(body).filter(([key]) => !known.has(key)));
  return Object.keys(extra).length > 0 ? extra : null;
}

function fillslot(ctx: SimulatorContext<ChronoState>) {
  return (req: Request, res: Response): void => {
    const agendaSlug = String(req.params.agenda);
    const slot = String(req.params.slot);
    const agenda = ctx.state.agendas.find((a) => a.slug === agendaSlug);
    const event = agenda && findEvent(ctx.state, agenda.slug, slot);
    if (!agenda || !event) {
      res.status(404).json(NOT_FOUND);
      return;
    }
    const body = bodyOf(req);
    if (!body.success) return invalidPayload(res, 1, body.error);
    const parsed = FillslotRequest.safeParse(body.data);
    if (!parsed.success) return invalidPayload(res, 1, parsed.error);
    if (answeredByForcedError(ctx, res, 'fillslot', { agenda: agenda.slug, slot })) return;

    const input = parsed.data;
    const count = input.count ?? 1;
    const userExternalId = input.user_external_id ?? '';
    if (
      input.exclude_user &&
      userExternalId !== '' &&
      activeBookings(ctx.state, event).some((b) => b.user_external_id === userExternalId)
    ) {
      return refuse(res, 1, 'event is already booked by user');
    }
    const placement = placementOf(ctx.state, event, count);
    if (placement === 'sold out') return refuse(res, 1, 'sold out');

    const booking: ChronoBooking = {
      id: ctx.state.nextBookingId++,
      agenda: agenda.slug,
      event_id: event.id,
      count,
      in_waiting_list: placement === 'waiting',
      user_external_id: userExternalId,
      user_first_name: input.user_first_name ?? '',
      user_last_name: input.user_last_name ?? input.user_name ?? '',
      user_email: input.user_email ?? '',
      user_phone_number: input.user_phone_number ?? '',
      label: input.label ?? '',
      user_was_present: null,
      user_absence_reason: '',
      extra_data: extraKeys(body.data, FILLSLOT_KEYS),
      creation_datetime: new Date().toISOString(),
      cancellation_datetime: null,
      anonymization_datetime: null,
    };
    ctx.state.bookings.push(booking);

    // Seed-minimal: what the project's assumption of fillslot promises, nothing more.
    if (ctx.faults.seedMinimal) {
      res.json({ err: 0, booking_id: booking.id, in_waiting_list: booking.in_waiting_list });
      return;
    }
    const bookingUrl = `${req.protocol}://${req.get('host')}/api/booking/${booking.id}/`;
    res.json({
      err: 0,
      booking_id: booking.id,
      in_waiting_list: booking.in_waiting_list,
      datetime: event.datetime,
      end_datetime: endDatetime(event),
      agenda: { label: agenda.label, slug: agenda.slug },
      places: placesOf(ctx.state, event),
      api: {
        booking_url: bookingUrl,
        cancel_url: `${bookingUrl}cancel/`,
        anonymize_url: `${bookingUrl}anonymize/`,
        accept_url: `${bookingUrl}accept/`,
        suspend_url: `${bookingUrl}suspend/`,
      },
    });
  };
}

// ---------------------------------------------------------------------------
// The seed's calls

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine((s) => !Number.isNaN(Date.parse(s)), 'invalid date');

const BookingsQuery = z.object({
  user_external_id: z.string().optional(),
  agenda: z.string().optional(),
  category: z.string().optional(),
  date_start: IsoDate.optional(),
  date_end: IsoDate.optional(),
});

function listBookings(ctx: SimulatorContext<ChronoState>) {
  return (req: Request, res: Response): void => {
    const query = BookingsQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400).json({ err: 1, err_class: 'invalid filters', errors: fieldErrors(query.error) });
      return;
    }
    const { user_external_id, agenda, category, date_start, date_end } = query.data;
    if (!user_external_id) {
      res.status(400).json({ err: 1, err_class: 'missing param user_external_id' });
      return;
    }
    if (answeredByForcedError(ctx, res, 'list', {})) return;

    const state = ctx.state;
    const categoryOf = (slug: string) => state.agendas.find((a) => a.slug === slug)?.category;
    const data = state.bookings
      .filter((b) => b.user_external_id === user_external_id && b.cancellation_datetime === null)
      .map((b) => ({ booking: b, event: eventOf(state, b) }))
      .filter(({ booking }) => agenda === undefined || booking.agenda === agenda)
      .filter(({ booking }) => category === undefined || categoryOf(booking.agenda) === category)
      // "YYYY-MM-DD HH:MM:SS" against "YYYY-MM-DD" compares as dates, as strings.
      .filter(({ event }) => date_start === undefined || event.datetime >= date_start)
      .filter(({ event }) => date_end === undefined || event.datetime < date_end)
      .sort((x, y) => x.event.datetime.localeCompare(y.event.datetime) || x.booking.id - y.booking.id)
      .map(({ booking }) => ({
        id: booking.id,
        in_waiting_list: booking.in_waiting_list,
        user_was_present: booking.user_was_present,
        user_absence_reason: booking.user_absence_reason,
        extra_data: booking.extra_data,
      }));
    res.json({ err: 0, data });
  };
}

const BookingPatch = z.object({
  user_was_present: z.boolean().nullable().optional(),
  user_absence_reason: z.string().optional(),
});
const PATCH_KEYS = new Set(Object.keys(BookingPatch.shape));

const ResizeRequest = z.object({ count: Count });

export const chronoSimulator: SimulatorDefinition<ChronoState> = {
  initialState,

  routes(router: Router, ctx) {
    router.use(requireBearer(ctx));

    router.post('/api/agenda/:agenda/fillslot/:slot/', fillslot(ctx));

    router.get('/api/bookings/', listBookings(ctx));

    router.get(
      '/api/booking/:id/',
      onBooking(ctx, 'read', (booking, _req, res) => {
        if (booking.cancellation_datetime) return refuse(res, 1, 'booking is cancelled');
        res.json({
          err: 0,
          data: {
            booking_id: booking.id,
            in_waiting_list: booking.in_waiting_list,
            user_was_present: booking.user_was_present,
            user_absence_reason: booking.user_absence_reason,
            extra_data: booking.extra_data,
          },
        });
      }),
    );

    router.patch(
      '/api/booking/:id/',
      onBooking(ctx, 'patch', (booking, req, res) => {
        const body = bodyOf(req);
        if (!body.success) return invalidPayload(res, 4, body.error);
        const patch = BookingPatch.safeParse(body.data);
        if (!patch.success) return invalidPayload(res, 4, patch.error);
        if (booking.cancellation_datetime) return refuse(res, 1, 'booking is cancelled');
        if (booking.in_waiting_list) return refuse(res, 3, 'booking is in waiting list');
        const touchesPresence = Object.keys(patch.data).length > 0;
        if (touchesPresence && eventOf(ctx.state, booking).checked) return refuse(res, 5, 'event is marked as checked');

        if (patch.data.user_was_present !== undefined) booking.user_was_present = patch.data.user_was_present;
        if (patch.data.user_absence_reason !== undefined) booking.user_absence_reason = patch.data.user_absence_reason;
        const extra = extraKeys(body.data, PATCH_KEYS);
        if (extra) booking.extra_data = { ...(booking.extra_data ?? {}), ...extra };
        res.json({ err: 0, booking_id: booking.id });
      }),
    );

    router.post(
      '/api/booking/:id/cancel/',
      onBooking(ctx, 'cancel', (booking, _req, res) => {
        if (booking.cancellation_datetime) return refuse(res, 1, 'already cancelled');
        booking.cancellation_datetime = new Date().toISOString();
        res.json({ err: 0, booking_id: booking.id });
      }),
    );

    router.post(
      '/api/booking/:id/accept/',
      onBooking(ctx, 'accept', (booking, _req, res) => {
        if (booking.cancellation_datetime) return refuse(res, 1, 'booking is cancelled');
        if (!booking.in_waiting_list) return refuse(res, 3, 'booking is not in waiting list');
        booking.in_waiting_list = false;
        const event = eventOf(ctx.state, booking);
        const overbooked = Math.max(0, reservedPlaces(ctx.state, event, false) - event.places);
        res.json({ err: 0, booking_id: booking.id, overbooked_places: overbooked });
      }),
    );

    router.post(
      '/api/booking/:id/suspend/',
      onBooking(ctx, 'suspend', (booking, _req, res) => {
        if (booking.cancellation_datetime) return refuse(res, 1, 'booking is cancelled');
        if (booking.in_waiting_list) return refuse(res, 3, 'booking is already in waiting list');
        booking.in_waiting_list = true;
        res.json({ err: 0, booking_id: booking.id });
      }),
    );

    router.post(
      '/api/booking/:id/resize/',
      onBooking(ctx, 'resize', (booking, req, res) => {
        const parsed = ResizeRequest.safeParse(req.body ?? {});
        if (!parsed.success) return invalidPayload(res, 4, parsed.error);
        if (booking.cancellation_datetime) return refuse(res, 1, 'booking is cancelled');
        const growth = parsed.data.count - booking.count;
        const event = eventOf(ctx.state, booking);
        const capacity = booking.in_waiting_list ? event.waiting_list_places : event.places;
        if (growth > 0 && reservedPlaces(ctx.state, event, booking.in_waiting_list) + growth > capacity) {
          return refuse(res, 3, 'sold out');
        }
        booking.count = parsed.data.count;
        res.json({ err: 0, booking_id: booking.id });
      }),
    );

    router.post(
      '/api/booking/:id/anonymize/',
      onBooking(ctx, 'anonymize', (booking, _req, res) => {
        Object.assign(booking, {
          user_external_id: '',
          user_first_name: '',
          user_last_name: '',
          user_email: '',
          user_phone_number: '',
          label: '',
          extra_data: null,
          anonymization_datetime: booking.anonymization_datetime ?? new Date().toISOString(),
        });
        res.json({ err: 0, booking_id: booking.id });
      }),
    );

    router.delete(
      '/api/booking/:id/',
      onBooking(ctx, 'delete', (booking, _req, res) => {
        if (booking.cancellation_datetime) return refuse(res, 1, 'booking is cancelled');
        ctx.state.bookings.splice(ctx.state.bookings.indexOf(booking), 1);
        // The seed's example answers {"err": 0}, with a stray `"booking_id": 4` block after it: seed-minimal keeps the first.
        res.json(ctx.faults.seedMinimal ? { err: 0 } : { err: 0, booking_id: booking.id });
      }),
    );

    // Anything else: the product's JSON 404, never an HTML page.
    router.use((_req: Request, res: Response) => {
      res.status(404).json(NOT_FOUND);
    });
  },

  controlRoutes(router: Router, ctx) {
    router.get('/state', (_req, res) => {
      res.json(chronoStateView(ctx.state));
    });

    router.post('/agendas/:agenda/events', (req, res) => {
      const agenda = String(req.params.agenda);
      if (!ctx.state.agendas.some((a) => a.slug === agenda)) {
        res.status(404).json({ error: `no agenda ${agenda}` });
        return;
      }
      const parsed = NewEvent.safeParse(req.body);
      if (!parsed.success) {
        res.status(400).json({ error: 'invalid event', issues: parsed.error.issues });
        return;
      }
      if (findEvent(ctx.state, agenda, parsed.data.slug)) {
        res.status(409).json({ error: `event ${parsed.data.slug} already exists` });
        return;
      }
      res.status(201).json(addChronoEvent(ctx.state, agenda, parsed.data));
    });

    router.post('/agendas/:agenda/events/:event', (req, res) => {
      const agenda = String(req.params.agenda);
      const slot = String(req.params.event);
      if (!findEvent(ctx.state, agenda, slot)) {
        res.status(404).json({ error: `no event ${slot} in agenda ${agenda}` });
        return;
      }
      const parsed = EventChange.safeParse(req.body);
      if (!parsed.success) {
        res.status(400).json({ error: 'invalid event change', issues: parsed.error.issues });
        return;
      }
      res.json(setChronoEvent(ctx.state, agenda, slot, parsed.data));
    });

    router.get('/errors', (_req, res) => {
      res.json(ctx.state.forcedErrors);
    });
    router.post('/errors', (req, res) => {
      const parsed = ForcedError.safeParse(req.body);
      if (!parsed.success) {
        res.status(400).json({ error: 'invalid forced error', issues: parsed.error.issues });
        return;
      }
      res.status(201).json(forceChronoError(ctx.state, parsed.data));
    });
    router.delete('/errors', (_req, res) => {
      ctx.state.forcedErrors = [];
      res.json(ctx.state.forcedErrors);
    });
  },
};

export function startChronoSimulator(
  options: Omit<SimulatorOptions, 'name'> & { port?: number; host?: string },
): Promise<RunningSimulator<ChronoState>> {
  return startSimulator(chronoSimulator, { ...options, name: 'chrono' });
}
