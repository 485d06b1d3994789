/**
 * OKS layout booking simulator, written from the oks layout booking document (the async book task, its status, unbook).
 *
 * Booking is asynchronous: `POST .../layouts/book` answers at once with a task,
 * the task goes pending -> processing -> completed | failed as time passes, and
 * `GET .../book/status/{task_id}` tells where it is. A completed task holds the
 * unit for `reserveDays` days as a deal (contact_id + shows_id) until
 * `POST .../layouts/unbook` releases it or the hold expires.
 *
 * Time is evaluated lazily: every request first settles whatever became due
 * (task completions, hold expiries) in chronological order, so no timer runs and
 * two tasks racing for one unit are decided by which completes first, not by
 * which one is polled first.
 *
 * Assumptions where the seed is silent:
 * - The API is FastAPI: a missing or wrong Bearer token answers 401 {"detail":"Not authenticated"}
 *   (with `WWW-Authenticate: Bearer`), checked before the body is validated.
 * - Body validation errors answer 422 {"detail":[...]} in pydantic v2's shape (type, loc, msg, input,
 *   ctx where pydantic gives one), one entry per bad field, in the seed's field order.
 * - Fields are validated as pydantic does in lax mode: strings must be JSON strings, integers accept
 *   integral numbers, numeric strings and booleans; extra fields are ignored.
 * - `reserveDays` is a `Literal[1]`: any other value answers 422 literal_error ("Input should be 1").
 * - `middleName` may be omitted or null.
 * - `layoutUuid` is parsed as a UUID (any case, simple or hyphenated) and kept lowercase hyphenated.
 * - Any well-formed layoutUuid names a bookable unit: the simulator does not know the catalogue.
 * - An unknown task_id answers 404 {"detail":"Task not found"}; unknown paths 404 {"detail":"Not Found"},
 *   a wrong method 405 {"detail":"Method Not Allowed"} (Starlette's answers).
 * - The contact is found or created (keyed by the exact phone string) only when a booking succeeds.
 * - Unbook answers 200 with an empty body; every refusal (unknown deal, contact_id not the deal's,
 *   already released, hold expired) is the seed's error with HTTP 400.
 * - The hold of a completed booking starts when the task completes and lasts reserveDays * dayMs.
 */
import { randomUUID } from 'node:crypto';
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
// Wire vocabulary (the seed's spelling)

export const OKS_PATHS = {
  book: '/api/v1/service/projects/layouts/book',
  status: '/api/v1/service/projects/layouts/book/status/:task_id',
  unbook: '/api/v1/service/projects/layouts/unbook',
} as const;

export type OksTaskStatus = 'pending' | 'processing' | 'completed' | 'failed';

export interface OksCompletedResult {
  contact_id: number;
  shows_id: number;
  contact_created: boolean;
}

export interface OksFailedResult {
  detail: 'Failed to create reservation';
  api_error: string;
}

export const OKS_UNIT_BOOKED_ERROR = 'Property unit is booked by user ';
export const OKS_UNBOOK_ERROR = { detail: 'Failed to remove reservation', api_error: 'Сделка не в брони' } as const;

// ---------------------------------------------------------------------------
// State

export interface OksTiming {
  /** How long a new task stays `pending`. */
  pendingMs: number;
  /** How long it then stays `processing` before it completes or fails. */
  processingMs: number;
  /** Length of one of `reserveDays` days. */
  dayMs: number;
}

export const OksScenario = z.object({
  /** Every task created for the unit fails with this `api_error`. */
  failWith: z.string().min(1).optional(),
  /** Timing of the tasks created for the unit, instead of the simulator's. */
  pendingMs: z.number().int().min(0).optional(),
  processingMs: z.number().int().min(0).optional(),
});
export type OksScenario = z.infer<typeof OksScenario>;

export interface OksContact {
  contact_id: number;
  phone: string;
  firstName: string;
  lastName: string;
  middleName: string | null;
  createdAtMs: number;
}

export type OksDealStatus = 'booked' | 'released' | 'expired';

/** A successful booking: the unit held for one contact ("shows" in the provider's CRM). */
export interface OksDeal {
  shows_id: number;
  contact_id: number;
  layoutUuid: string;
  status: OksDealStatus;
  bookedAtMs: number;
  expiresAtMs: number;
  /** When it was released or expired. */
  endedAtMs: number | null;
  /** Unbook requests that named this deal, successful or not. */
  unbookCalls: number;
}

export interface OksTask {
  taskId: string;
  /** Order of creation: breaks ties between tasks completing at the same instant. */
  seq: number;
  layoutUuid: string;
  phone: string;
  firstName: string;
  lastName: string;
  middleName: string | null;
  reserveDays: number;
  /** As answered on the wire, with microseconds. */
  createdAt: string;
  createdAtMs: number;
  processingAtMs: number;
  completesAtMs: number;
  /** Captured from the unit's scenario when the task was created. */
  failWith: string | null;
  status: OksTaskStatus;
  result: OksCompletedResult | OksFailedResult | null;
  /** How many status reads answered each status. */
  statusReads: Record<OksTaskStatus, number>;
}

export interface OksState {
  timing: OksTiming;
  /** Every unit the simulator has heard of, fixtures first. */
  layouts: string[];
  contacts: OksContact[];
  deals: OksDeal[];
  tasks: OksTask[];
  /** By layoutUuid (lowercase). */
  scenarios: Record<string, OksScenario>;
  nextContactId: number;
  nextShowsId: number;
  nextTaskSeq: number;
  /** The simulator's clock (Date.now unless a test drives time). */
  now: () => number;
}

// ---------------------------------------------------------------------------
// Fixtures

/** Free units; the first is the seed's example. */
export const OKS_FREE_LAYOUTS = [
  '8d1222e4-e78a-4b60-9dbb-7293ce22285d',
  '3f6c1a52-9b0e-4d7a-8f21-5c4e2b7a9d10',
  'a47e9c03-2d5b-4f18-b6a9-0e3d7c1f8b24',
  'c1b8e2f7-6a4d-4e93-9f0c-7d2a5b3e6f81',
] as const;

/** Contacts the CRM already knows: a booking with one of these phones answers contact_created false. */
export const OKS_FIXTURE_CONTACTS = [
  { contact_id: 5835290, phone: '+77012345678', firstName: 'Айгерим', lastName: 'Серикова', middleName: 'Болатовна' },
  { contact_id: 5835297, phone: '+77759876543', firstName: 'Дмитрий', lastName: 'Ким', middleName: null },
  { contact_id: 5835305, phone: '+77471112233', firstName: 'Асель', lastName: 'Нурланова', middleName: 'Ерлановна' },
] as const;

/** Units booked by other clients when the simulator starts (held for one day from then). */
export const OKS_FIXTURE_DEALS = [
  { layoutUuid: 'e5d2a9b4-7c1f-4a36-8e0d-2b9f6c4a1d57', contact_id: 5835290, shows_id: 836571 },
  { layoutUuid: '0b7f3c6e-1a9d-4c52-a8e4-6f2d9b0c3e71', contact_id: 5835297, shows_id: 836588 },
  { layoutUuid: '6d9a4e1b-3c7f-4b08-9d25-e1a6c8f4b093', contact_id: 5835305, shows_id: 836596 },
] as const;

export const OKS_BOOKED_LAYOUTS = OKS_FIXTURE_DEALS.map((d) => d.layoutUuid);

/** New contacts and deals are numbered from the seed's example ids. */
const FIRST_CONTACT_ID = 5835313;
const FIRST_SHOWS_ID = 836603;

export const OKS_DEFAULT_TIMING: OksTiming = { pendingMs: 300, processingMs: 2000, dayMs: 86_400_000 };

function initialOksState(timing: OksTiming, now: () => number): OksState {
  const startMs = now();
  return {
    timing: { ...timing },
    layouts: [...OKS_FREE_LAYOUTS, ...OKS_BOOKED_LAYOUTS],
    contacts: OKS_FIXTURE_CONTACTS.map((c) => ({ ...c, createdAtMs: startMs })),
    deals: OKS_FIXTURE_DEALS.map((d) => ({
      ...d,
      status: 'booked',
      bookedAtMs: startMs,
      expiresAtMs: startMs + timing.dayMs,
      endedAtMs: null,
      unbookCalls: 0,
    })),
    tasks: [],
    scenarios: {},
    nextContactId: FIRST_CONTACT_ID,
    nextShowsId: FIRST_SHOWS_ID,
    nextTaskSeq: 1,
    now,
  };
}

// ---------------------------------------------------------------------------
// Time: settle what became due, in the order it happened

function activeDeal(state: OksState, layoutUuid: string): OksDeal | undefined {
  return state.deals.find((d) => d.layoutUuid === layoutUuid && d.status === 'booked');
}

function findOrCreateContact(state: OksState, task: OksTask): { contact: OksContact; created: boolean } {
  const existing = state.contacts.find((c) => c.phone === task.phone);
  if (existing) return { contact: existing, created: false };
  const contact: OksContact = {
    contact_id: state.nextContactId++,
    phone: task.phone,
    firstName: task.firstName,
    lastName: task.lastName,
    middleName: task.middleName,
    createdAtMs: task.completesAtMs,
  };
  state.contacts.push(contact);
  return { contact, created: true };
}

/** The moment a task finishes: the unit is free or it is not, decided now. */
function completeTask(state: OksState, task: OksTask): void {
  const at = task.completesAtMs;
  const refusal = task.failWith ?? (activeDeal(state, task.layoutUuid) ? OKS_UNIT_BOOKED_ERROR : null);
  if (refusal !== null) {
    task.status = 'failed';
    task.result = { detail: 'Failed to create reservation', api_error: refusal };
    return;
  }
  const { contact, created } = findOrCreateContact(state, task);
  const deal: OksDeal = {
    shows_id: state.nextShowsId++,
    contact_id: contact.contact_id,
    layoutUuid: task.layoutUuid,
    status: 'booked',
    bookedAtMs: at,
    expiresAtMs: at + task.reserveDays * state.timing.dayMs,
    endedAtMs: null,
    unbookCalls: 0,
  };
  state.deals.push(deal);
  task.status = 'completed';
  task.result = { contact_id: deal.contact_id, shows_id: deal.shows_id, contact_created: created };
}

/** Applies every completion and expiry due by now, earliest first. */
export function settleOksState(state: OksState): void {
  const now = state.now();
  for (;;) {
    const task = state.tasks
      .filter((t) => (t.status === 'pending' || t.status === 'processing') && t.completesAtMs <= now)
      .sort((a, b) => a.completesAtMs - b.completesAtMs || a.seq - b.seq)[0];
    const deal = state.deals
      .filter((d) => d.status === 'booked' && d.expiresAtMs <= now)
      .sort((a, b) => a.expiresAtMs - b.expiresAtMs)[0];
    if (!task && !deal) break;
    // A hold that ends at the very instant a task completes is already free for it.
    if (deal && (!task || deal.expiresAtMs <= task.completesAtMs)) {
      deal.status = 'expired';
      deal.endedAtMs = deal.expiresAtMs;
    } else if (task) {
      completeTask(state, task);
    }
  }
  for (const t of state.tasks) {
    if (t.status === 'pending' && t.processingAtMs <= now) t.status = 'processing';
  }
}

// ---------------------------------------------------------------------------
// Validation, as FastAPI + pydantic v2 report it

export interface OksValidationError {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

type Issue = Pick<OksValidationError, 'type' | 'msg' | 'ctx'>;
type Checked<T> = { ok: true; value: T } | { ok: false; issue: Issue };
type Rule<T> = (input: unknown) => Checked<T>;

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = (type: string, msg: string, ctx?: Record<string, unknown>): Checked<never> => ({
  ok: false,
  issue: ctx ? { type, msg, ctx } : { type, msg },
});

function str(limits: { min?: number; max?: number }): Rule<string> {
  return (input) => {
    if (typeof input !== 'string') return bad('string_type', 'Input should be a valid string');
    // pydantic counts characters, not UTF-16 units.
    const length = Array.from(input).length;
    if (limits.min !== undefined && length < limits.min) {
      return bad('string_too_short', `String should have at least ${limits.min} character${limits.min === 1 ? '' : 's'}`, {
        min_length: limits.min,
      });
    }
    if (limits.max !== undefined && length > limits.max) {
      return bad('string_too_long', `String should have at most ${limits.max} character${limits.max === 1 ? '' : 's'}`, {
        max_length: limits.max,
      });
    }
    return ok(input);
  };
}

function nullable<T>(rule: Rule<T>): Rule<T | null> {
  return (input) => (input === null ? ok(null) : rule(input));
}

const int: Rule<number> = (input) => {
  if (typeof input === 'boolean') return ok(input ? 1 : 0);
  if (typeof input === 'number') {
    if (Number.isInteger(input)) return ok(input);
    if (Number.isFinite(input)) return bad('int_from_float', 'Input should be a valid integer, got a number with a fractional part');
    return bad('finite_number', 'Input should be a finite number');
  }
  if (typeof input === 'string') {
    const trimmed = input.trim();
    if (/^[+-]?\d+$/.test(trimmed)) return ok(Number(trimmed));
    return bad('int_parsing', 'Input should be a valid integer, unable to parse string as an integer');
  }
  return bad('int_type', 'Input should be a valid integer');
};

function literal<T extends number>(expected: T): Rule<T> {
  return (input) =>
    input === expected ? ok(expected) : bad('literal_error', `Input should be ${expected}`, { expected: String(expected) });
}

const UUID_GROUPS = [8, 4, 4, 4, 12];

/** The uuid crate's parse errors, which pydantic passes through in `msg` and `ctx.error`. */
function uuidParseError(text: string): string | null {
  let body = text;
  let offset = 0;
  if (body.startsWith('urn:uuid:')) {
    body = body.slice('urn:uuid:'.length);
    offset = 'urn:uuid:'.length;
  } else if (body.startsWith('{') && body.endsWith('}')) {
    body = body.slice(1, -1);
    offset = 1;
  }
  const chars = Array.from(body);
  const invalid = chars.findIndex((c) => !/[0-9a-fA-F-]/.test(c));
  if (invalid >= 0) {
    return `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${chars[invalid]}\` at ${invalid + offset + 1}`;
  }
  if (!body.includes('-')) {
    return body.length === 32 ? null : `invalid length: expected length 32 for simple format, found ${body.length}`;
  }
  const groups = body.split('-');
  if (groups.length !== UUID_GROUPS.length) return `invalid group count: expected 5, found ${groups.length}`;
  const wrong = groups.findIndex((g, i) => g.length !== UUID_GROUPS[i]);
  if (wrong >= 0) {
    return `invalid group length in group ${wrong}: expected ${UUID_GROUPS[wrong]}, found ${groups[wrong]?.length}`;
  }
  return null;
}

function normalizeUuid(text: string): string {
  const hex = text.replace(/^urn:uuid:/, '').replace(/[{}-]/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const uuid: Rule<string> = (input) => {
  if (typeof input !== 'string') return bad('uuid_type', 'UUID input should be a string, bytes or UUID object');
  const error = uuidParseError(input);
  if (error) return bad('uuid_parsing', `Input should be a valid UUID, ${error}`, { error });
  return ok(normalizeUuid(input));
};

type Field<T> = { rule: Rule<T>; required: true } | { rule: Rule<T>; default: T };
type Model = Record<string, Field<unknown>>;
type Parsed<M extends Model> = { [K in keyof M]: M[K] extends Field<infer T> ? T : never };

/** Parses a JSON body as a pydantic model would, collecting an error for every bad field. */
function parseBody<M extends Model>(body: unknown, model: M): { data: Parsed<M> } | { errors: OksValidationError[] } {
  if (body === undefined) return { errors: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }] };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      errors: [
        {
          type: 'model_attributes_type',
          loc: ['body'],
          msg: 'Input should be a valid dictionary or object to extract fields from',
          input: body,
        },
      ],
    };
  }
  const input = body as Record<string, unknown>;
  const data: Record<string, unknown> = {};
  const errors: OksValidationError[] = [];
  for (const [name, field] of Object.entries(model)) {
    if (!(name in input) || input[name] === undefined) {
      if ('default' in field) data[name] = field.default;
      else errors.push({ type: 'missing', loc: ['body', name], msg: 'Field required', input });
      continue;
    }
    const checked = field.rule(input[name]);
    if (checked.ok) data[name] = checked.value;
    else errors.push({ ...checked.issue, loc: ['body', name], input: input[name] });
  }
  return errors.length > 0 ? { errors } : { data: data as Parsed<M> };
}

const BookLayoutRequest = {
  layoutUuid: { rule: uuid, required: true },
  phone: { rule: str({ max: 16 }), required: true },
  firstName: { rule: str({ min: 1, max: 76 }), required: true },
  lastName: { rule: str({ min: 1, max: 76 }), required: true },
  middleName: { rule: nullable(str({})), default: null },
  reserveDays: { rule: literal(1), default: 1 },
} satisfies Model;

const UnbookLayoutRequest = {
  contact_id: { rule: int, required: true },
  shows_id: { rule: int, required: true },
} satisfies Model;

// ---------------------------------------------------------------------------
// Wire format

/** ISO UTC with six fractional digits, as the seed shows ("2025-10-28T16:22:42.381514Z"). */
function wireTimestamp(ms: number): string {
  const micros = String(process.hrtime.bigint() % 1000n).padStart(3, '0');
  return new Date(ms).toISOString().replace(/Z$/, `${micros}Z`);
}

/** Key order as in the seed's examples. */
function taskStatusBody(task: OksTask) {
  return { taskId: task.taskId, status: task.status, createdAt: task.createdAt, result: task.result };
}

// ---------------------------------------------------------------------------
// Provider routes

function requireBearer(ctx: SimulatorContext<OksState>, req: Request, res: Response): boolean {
  if (ctx.bearerToken(req) === ctx.token) return true;
  res.status(401).set('WWW-Authenticate', 'Bearer').json({ detail: 'Not authenticated' });
  return false;
}

function createTask(state: OksState, request: Parsed<typeof BookLayoutRequest>): OksTask {
  const scenario = state.scenarios[request.layoutUuid] ?? {};
  const createdAtMs = state.now();
  const processingAtMs = createdAtMs + (scenario.pendingMs ?? state.timing.pendingMs);
  const task: OksTask = {
    taskId: randomUUID(),
    seq: state.nextTaskSeq++,
    ...request,
    createdAt: wireTimestamp(createdAtMs),
    createdAtMs,
    processingAtMs,
    completesAtMs: processingAtMs + (scenario.processingMs ?? state.timing.processingMs),
    failWith: scenario.failWith ?? null,
    status: 'pending',
    result: null,
    statusReads: { pending: 0, processing: 0, completed: 0, failed: 0 },
  };
  if (!state.layouts.includes(task.layoutUuid)) state.layouts.push(task.layoutUuid);
  state.tasks.push(task);
  return task;
}

/** Releases the deal if it is still held; false is the seed's "Сделка не в брони". */
function unbook(state: OksState, contactId: number, showsId: number): boolean {
  const deal = state.deals.find((d) => d.shows_id === showsId);
  if (!deal) return false;
  deal.unbookCalls += 1;
  if (deal.contact_id !== contactId || deal.status !== 'booked') return false;
  deal.status = 'released';
  deal.endedAtMs = state.now();
  return true;
}

function methodNotAllowed(allow: string) {
  return (_req: Request, res: Response) => {
    res.status(405).set('Allow', allow).json({ detail: 'Method Not Allowed' });
  };
}

function oksRoutes(router: Router, ctx: SimulatorContext<OksState>): void {
  router.post(OKS_PATHS.book, (req, res) => {
    if (!requireBearer(ctx, req, res)) return;
    const parsed = parseBody(req.body, BookLayoutRequest);
    if ('errors' in parsed) {
      res.status(422).json({ detail: parsed.errors });
      return;
    }
    settleOksState(ctx.state);
    const task = createTask(ctx.state, parsed.data);
    res.status(200).json({ taskId: task.taskId, status: task.status, createdAt: task.createdAt });
  });

  router.get(OKS_PATHS.status, (req, res) => {
    if (!requireBearer(ctx, req, res)) return;
    settleOksState(ctx.state);
    const task = ctx.state.tasks.find((t) => t.taskId === req.params.task_id);
    if (!task) {
      res.status(404).json({ detail: 'Task not found' });
      return;
    }
    task.statusReads[task.status] += 1;
    res.status(200).json(taskStatusBody(task));
  });

  router.post(OKS_PATHS.unbook, (req, res) => {
    if (!requireBearer(ctx, req, res)) return;
    const parsed = parseBody(req.body, UnbookLayoutRequest);
    if ('errors' in parsed) {
      res.status(422).json({ detail: parsed.errors });
      return;
    }
    settleOksState(ctx.state);
    if (unbook(ctx.state, parsed.data.contact_id, parsed.data.shows_id)) res.status(200).end();
    else res.status(400).json(OKS_UNBOOK_ERROR);
  });

  router.all(OKS_PATHS.book, methodNotAllowed('POST'));
  router.all(OKS_PATHS.status, methodNotAllowed('GET'));
  router.all(OKS_PATHS.unbook, methodNotAllowed('POST'));
  router.use((_req, res) => {
    res.status(404).json({ detail: 'Not Found' });
  });
}

// ---------------------------------------------------------------------------
// Control surface: scenarios and a read-only view of the inventory

export interface OksUnitView {
  layoutUuid: string;
  status: 'free' | 'booked';
  contact_id: number | null;
  shows_id: number | null;
  bookedUntil: string | null;
}

export interface OksStateView {
  timing: OksTiming;
  units: OksUnitView[];
  contacts: (Omit<OksContact, 'createdAtMs'> & { createdAt: string })[];
  deals: (Omit<OksDeal, 'bookedAtMs' | 'expiresAtMs' | 'endedAtMs'> & {
    bookedAt: string;
    expiresAt: string;
    endedAt: string | null;
  })[];
  tasks: {
    taskId: string;
    layoutUuid: string;
    phone: string;
    status: OksTaskStatus;
    createdAt: string;
    processingAt: string;
    completesAt: string;
    failWith: string | null;
    result: OksCompletedResult | OksFailedResult | null;
    statusReads: Record<OksTaskStatus, number>;
  }[];
  scenarios: Record<string, OksScenario>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The inventory as the provider sees it now (settles due transitions first). */
export function viewOksState(state: OksState): OksStateView {
  settleOksState(state);
  return {
    timing: { ...state.timing },
    units: state.layouts.map((layoutUuid) => {
      const deal = activeDeal(state, layoutUuid);
      return {
        layoutUuid,
        status: deal ? 'booked' : 'free',
        contact_id: deal?.contact_id ?? null,
        shows_id: deal?.shows_id ?? null,
        bookedUntil: deal ? iso(deal.expiresAtMs) : null,
      };
    }),
    contacts: state.contacts.map(({ createdAtMs, ...c }) => ({ ...c, createdAt: iso(createdAtMs) })),
    deals: state.deals.map(({ bookedAtMs, expiresAtMs, endedAtMs, ...d }) => ({
      ...d,
      bookedAt: iso(bookedAtMs),
      expiresAt: iso(expiresAtMs),
      endedAt: endedAtMs === null ? null : iso(endedAtMs),
    })),
    tasks: state.tasks.map((t) => ({
      taskId: t.taskId,
      layoutUuid: t.layoutUuid,
      phone: t.phone,
      status: t.status,
      createdAt: t.createdAt,
      processingAt: iso(t.processingAtMs),
      completesAt: iso(t.completesAtMs),
      failWith: t.failWith,
      result: t.result,
      statusReads: { ...t.statusReads },
    })),
    scenarios: structuredClone(state.scenarios),
  };
}

type HasOksState = { ctx: SimulatorContext<OksState> };

/** Forces what happens to the tasks created for a unit from now on (replaces its previous scenario). */
export function setOksScenario(sim: HasOksState, layoutUuid: string, scenario: OksScenario): void {
  sim.ctx.state.scenarios[normalizeUuid(layoutUuid)] = OksScenario.parse(scenario);
}

export function clearOksScenario(sim: HasOksState, layoutUuid: string): void {
  delete sim.ctx.state.scenarios[normalizeUuid(layoutUuid)];
}

export function readOksState(sim: HasOksState): OksStateView {
  return viewOksState(sim.ctx.state);
}

export const OksScenarioRequest = OksScenario.extend({
  layoutUuid: z.string().refine((s) => uuidParseError(s) === null, 'layoutUuid must be a UUID'),
});

function oksControlRoutes(router: Router, ctx: SimulatorContext<OksState>): void {
  router.get('/state', (_req, res) => {
    res.json(viewOksState(ctx.state));
  });
  router.get('/scenarios', (_req, res) => {
    res.json(ctx.state.scenarios);
  });
  router.post('/scenarios', (req, res) => {
    const parsed = OksScenarioRequest.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid scenario', issues: parsed.error.issues });
      return;
    }
    const { layoutUuid, ...scenario } = parsed.data;
    setOksScenario({ ctx }, layoutUuid, scenario);
    res.json(ctx.state.scenarios);
  });
  router.delete('/scenarios/:layoutUuid', (req, res) => {
    const layoutUuid = req.params.layoutUuid;
    if (uuidParseError(layoutUuid) !== null) {
      res.status(400).json({ error: 'layoutUuid must be a UUID' });
      return;
    }
    clearOksScenario({ ctx }, layoutUuid);
    res.json(ctx.state.scenarios);
  });
}

// ---------------------------------------------------------------------------
// Definition and start-up

export function createOksSimulator(timing: Partial<OksTiming> = {}, now: () => number = Date.now): SimulatorDefinition<OksState> {
  const resolved: OksTiming = { ...OKS_DEFAULT_TIMING, ...timing };
  return {
    initialState: () => initialOksState(resolved, now),
    routes: oksRoutes,
    controlRoutes: oksControlRoutes,
  };
}

export const oksSimulator: SimulatorDefinition<OksState> = createOksSimulator();

export type OksStartOptions = Omit<SimulatorOptions, 'name'> &
  Partial<OksTiming> & {
    port?: number;
    host?: string;
    /** Clock in epoch milliseconds; tests may drive time instead of waiting. */
    now?: () => number;
  };

export function startOksSimulator(options: OksStartOptions): Promise<RunningSimulator<OksState>> {
  const { pendingMs, processingMs, dayMs, now, ...rest } = options;
  const timing: Partial<OksTiming> = {};
  if (pendingMs !== undefined) timing.pendingMs = pendingMs;
  if (processingMs !== undefined) timing.processingMs = processingMs;
  if (dayMs !== undefined) timing.dayMs = dayMs;
  return startSimulator(createOksSimulator(timing, now), { ...rest, name: 'oks' });
}
