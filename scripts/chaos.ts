/**
 * `npm run chaos` (`-- --short` for the quick variant `npm test` ends with): bookings with
 * all five providers through the API of the production-shaped stack while it is broken on
 * purpose, then a check of every booking against every simulator's inventory.
 *
 * It starts a stack of its own (`npm run stack` with STACK_RESTART=all, namespace `chaos`,
 * short provider durations so every booking ends within minutes, 3 s provider timeouts;
 * output in .data/chaos-stack.log) and stops it at the end. Meanwhile:
 *
 * - simulators answer 5xx (a share of requests, or the next few), hang past the workers'
 *   timeout after acting, answer slowly, and answer unreadably after acting;
 * - a worker is killed with SIGKILL several times (the other keeps running, the stack
 *   starts the slot again); the Temporal server, the API and PostgreSQL's postmaster are
 *   killed with SIGKILL and started again by the stack.
 *
 * Every POST carries an Idempotency-Key and is sent again with the same key after a 5xx, a
 * timeout or no answer. Each booking is driven as an app would (oks complete or cancel,
 * qtickets payment or cancel, hotels24 autoConfirm, chrono and brusnika cancel) or left to
 * its deadline. At the end: no booking lost, none booked twice, nothing held at a provider
 * that no booking holds (oks's lost answers count apart: such a booking must carry
 * `attention`), none stuck; and every 5xx seen, by cause. Exits 1 on any violation and
 * writes .data/chaos-<time>.json.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { LOOPBACK, delay, httpOk, temporalAnswers } from './processes';
import { type StackState, postmasterPid, stackDataConverter } from './stack';
import { type StartedStack, alive, cleanUpKilledStack, control, logTail, readState, simulatorState, startStack, stopStarted } from './stack-client';
import {
  type Booking,
  type BrusnikaState,
  type ChronoState,
  type Hotels24State,
  type Intent,
  type OksState,
  PROVIDER_ORDER,
  type ProviderName,
  type ProviderStates,
  type QticketsState,
  TERMINAL,
  type View,
  type Violation,
  baselineOf,
  checkBookings,
  checkInventories,
} from './chaos-checks';
import { projectRoot } from './temporal-cli';

const short = process.argv.includes('--short');
const PLAN = short
  ? { bookings: 60, concurrency: 15, paceMs: 1_100, workerKills: 1, faultRounds: 1, eventGapMs: 4_000, settleMs: 150_000 }
  : { bookings: 500, concurrency: 30, paceMs: 650, workerKills: 3, faultRounds: 5, eventGapMs: 6_000, settleMs: 360_000 };
const NAMESPACE = 'chaos';
const CLIENT_TIMEOUT_MS = 15_000;
const PROVIDER_TIMEOUT = '3s';
const HANG_MS = 5_000;
const dataDir = path.join(projectRoot, '.data');
const stackLog = path.join(dataDir, 'chaos-stack.log');

/** Every booking ends within a few minutes (the variables of README's configuration table). */
const TIMING: Record<string, string> = {
  OKS_TASK_POLL_MAX: '2s',
  OKS_TASK_DEADLINE: '3m',
  OKS_HOLD_TERM: short ? '40s' : '90s',
  OKS_RELEASE_ESCALATION: '1m',
  QTICKETS_HOLD: '1m',
  QTICKETS_MAX_HOLD: '2m',
  QTICKETS_CALL_DEADLINE: '2m',
  QTICKETS_RELEASE_ESCALATION: '1m',
  QTICKETS_RELEASE_RETRY_PAUSE: '10s',
  HOTELS24_CONDITIONS_DECISION: '2m',
  HOTELS24_REQUISITES_WAIT: '2m',
  HOTELS24_CONFIRMATION_WAIT: '2m',
  HOTELS24_RETRY_MAX: '5s',
  HOTELS24_RETRY_GIVE_UP: '3m',
  CHRONO_APPROVAL_TIMEOUT: '2m',
  CHRONO_RETENTION: '1m',
  CHRONO_PROVIDER_DEADLINE: '3m',
  CHRONO_RELEASE_ESCALATION: '1m',
  CHRONO_RELEASE_RETRY_PAUSE: '10s',
  BRUSNIKA_POLL_MAX: '2s',
  BRUSNIKA_CALL_DEADLINE: '3m',
  BRUSNIKA_DECISION_DEADLINE: '2m',
  BRUSNIKA_BOOKED_WATCH: '3m',
  BRUSNIKA_RELEASE_ESCALATION: '1m',
};

function say(message: string): void {
  process.stdout.write(`[chaos] ${message}\n`);
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

// ---------------------------------------------------------------------------------------
// The chaos client: every 5xx counted by cause, retried with the same key

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A message with its booking-specific parts (ids, numbers) taken out, so causes group. */
function normalize(message: string): string {
  return message
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/\b[0-9a-f]{24}\b/g, '<id>')
    .replace(/\b\d{4,}\b/g, '<n>')
    .slice(0, 300);
}

interface Cause {
  status: string;
  code: string;
  message: string;
  count: number;
}

class ChaosClient {
  readonly causes = new Map<string, Cause>();
  requests = 0;

  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  private count(status: string, code: string, message: string): void {
    const key = `${status}\n${code}\n${message}`;
    const cause = this.causes.get(key) ?? { status, code, message, count: 0 };
    cause.count += 1;
    this.causes.set(key, cause);
  }

  /** One request; undefined (counted) when no answer came or the answer was a 5xx. */
  private async once(method: string, route: string, json: unknown, key: string | undefined): Promise<Answer | undefined> {
    this.requests += 1;
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.base}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
          ...(key === undefined ? {} : { 'idempotency-key': key }),
        },
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError') this.count('timeout', '-', `no answer within ${CLIENT_TIMEOUT_MS / 1000} s`);
      else this.count('no answer', e.cause?.code ?? e.name, normalize(e.cause?.code ? `${e.message}: ${e.cause.code}` : e.message));
      return undefined;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { text };
    }
    if (res.status >= 500) {
      const error = (body.error ?? {}) as { code?: string; message?: string };
      this.count(String(res.status), error.code ?? '-', normalize(error.message ?? String(body.detail ?? text)));
      return undefined;
    }
    return { status: res.status, body };
  }

  /** Sends until an answer below 500 comes (the same key each time), or `deadlineMs` passes (undefined). */
  async call(method: string, route: string, json?: unknown, key?: string, deadlineMs = 300_000): Promise<Answer | undefined> {
    const deadline = Date.now() + deadlineMs;
    for (let attempt = 0; ; attempt++) {
      const answer = await this.once(method, route, json, key);
      if (answer) return answer;
      if (Date.now() > deadline) return undefined;
      await delay(Math.min(5000, 500 * 2 ** Math.min(attempt, 4)) + Math.random() * 500);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Bookings

const INTENTS: Record<ProviderName, Intent[]> = {
  oks: ['complete', 'cancel', 'leave'],
  qtickets: ['payment', 'cancel', 'leave', 'extend', 'cancel'],
  hotels24: ['autoConfirm', 'approve'],
  chrono: ['cancel', 'waitingList'],
  brusnika: ['cancel', 'visit'],
};

/** Where a booking driven this way ends when nothing goes wrong. */
const EXPECTED_END: Record<Intent, string> = {
  complete: 'completed',
  cancel: 'cancelled',
  payment: 'completed',
  extend: 'completed',
  autoConfirm: 'completed',
  approve: 'completed',
  waitingList: 'cancelled',
  visit: 'cancelled',
  leave: 'expired',
};

/**
 * The answers an app (or approver) gives, in turn, each once the booking offers it; `accept`
 * for hotels24 is given at every stop it makes (conditions, final confirmation).
 */
const ANSWERS: Record<Intent, string[]> = {
  complete: ['complete'],
  cancel: ['cancel'],
  payment: ['payment'],
  extend: ['extend', 'payment'],
  autoConfirm: [],
  approve: ['accept'],
  waitingList: ['accept', 'cancel'],
  visit: ['cancel'],
  leave: [],
};

/** The signal names a view may list for an answer the API takes by its route name. */
const ALSO_OFFERED_AS: Record<string, string> = { payment: 'confirmPayment', extend: 'extendHold' };

const bodyOf = (answer: string): Record<string, unknown> => (answer === 'cancel' ? { reason: 'chaos' } : answer === 'extend' ? { byMinutes: 1 } : {});

class Bookings {
  readonly all: Booking[] = [];
  private readonly claimed = new Set<string>();
  private chronoSlot = '';
  /** An event whose one place is soon taken: later bookings go on its waiting list, for the approver. */
  private chronoWaitingListSlot = '';

  constructor(
    private readonly state: StackState,
    private readonly client: ChaosClient,
    private readonly runId: string,
  ) {}

  async setUp(): Promise<void> {
    const sims = this.state.simulators;
    // brusnika's CRM decides bookings and visits in a second; agent 501 may create as many clients as needed.
    await control(sims.brusnika!, '/timing', { bookingDecisionMs: 1000, visitDecisionMs: 1000 });
    await control(sims.brusnika!, '/users/501', { remaining_user_creation_limit: 100_000 });
    this.chronoSlot = `chaos-${this.runId}`;
    const datetime = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000).toISOString().slice(0, 19).replace('T', ' ');
    await control(sims.chrono!, '/agendas/gymnase-jean-moulin/events', { slug: this.chronoSlot, datetime, duration: 60, places: 5000 });
    this.chronoWaitingListSlot = `chaos-${this.runId}-waiting-list`;
    await control(sims.chrono!, '/agendas/gymnase-jean-moulin/events', { slug: this.chronoWaitingListSlot, datetime, duration: 60, places: 1, waiting_list_places: 5000 });
  }

  /** A seat or premise nobody here claimed and the simulator shows free; waits for one (undefined after 3 minutes). */
  private async claim(pick: () => Promise<string[]>): Promise<string | undefined> {
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      const free = (await pick().catch(() => [])).filter((c) => !this.claimed.has(c));
      if (free.length > 0) {
        const chosen = free[Math.floor(Math.random() * free.length)]!;
        this.claimed.add(chosen);
        return chosen;
      }
      await delay(2000);
    }
    return undefined;
  }

  private async request(b: Booking, index: number): Promise<Record<string, unknown> | undefined> {
    const sims = this.state.simulators;
    switch (b.provider) {
      case 'oks':
        return { layoutUuid: randomUUID(), phone: '+77071234567', firstName: 'Иван', lastName: 'Иванов', reserveDays: 1 };
      case 'qtickets': {
        b.claim = await this.claim(async () => {
          const s = await simulatorState<QticketsState>(sims.qtickets!);
          return s.inventory.flatMap((show) => show.seats.filter((seat) => !seat.admission && seat.state === 'free').map((seat) => `${show.event_id}/${show.show_id}/${seat.seat_id}`));
        });
        if (!b.claim) return undefined;
        const [event, show, seat] = b.claim.split('/');
        return { event_id: Number(event), show_id: Number(show), seats: [seat] };
      }
      case 'hotels24': {
        // One of 61 nights in September and October next year (the base price), in turn: at most
        // two bookings a night for 500 (five rooms each).
        const arrival = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 8, 1 + (Math.floor(index / PROVIDER_ORDER.length) % 61)));
        const departure = new Date(arrival.getTime() + 24 * 60 * 60 * 1000);
        return {
          arrival_date: arrival.toISOString().slice(0, 10),
          departure_date: departure.toISOString().slice(0, 10),
          blocks: [{ tariff: '507f1f77bcf86cd799439011', total_cost: 500, quantity: 1 }],
          requisites: { first_name: 'Booker', last_name: 'Da Mega', email: 'mega.booker@hotels24.ua', phone: '0800210017' },
          // Without it, hotels24's final confirmation is a stop for the approver.
          autoConfirm: b.intent === 'autoConfirm',
        };
      }
      case 'chrono':
        return {
          agenda: 'gymnase-jean-moulin',
          slot: b.intent === 'waitingList' ? this.chronoWaitingListSlot : this.chronoSlot,
          user_external_id: `chaos-${randomUUID()}`,
          user_first_name: 'Camille',
          user_last_name: 'Martin',
          user_email: 'camille.martin@example.fr',
          user_phone_number: '+33612345678',
          count: 1,
          timezone: 'UTC',
        };
      case 'brusnika': {
        const visit = b.intent === 'visit';
        b.claim = await this.claim(async () => {
          const s = await simulatorState<BrusnikaState>(sims.brusnika!);
          return visit
            ? s.timeSlots.filter((t) => t.client_id === null && t.visit_id === null && !t.taken_elsewhere).map((t) => `slot/${t.id}`)
            : s.premises.filter((p) => !p.is_booked && !p.is_sold && p.purchase_option.includes('full_payment')).map((p) => String(p.id));
        });
        if (!b.claim) return undefined;
        const digits = String(1_000_000 + index).slice(-7);
        b.phone = `9${String(Math.floor(Math.random() * 90) + 10)}${digits}`;
        const client = { fullname: 'Смирнов Алексей Дмитриевич', phone_number: `8 (${b.phone.slice(0, 3)}) ${b.phone.slice(3, 6)}-${b.phone.slice(6, 8)}-${b.phone.slice(8)}` };
        return visit
          ? { kind: 'visit', agent_id: 501, time_slot_id: Number(b.claim.slice('slot/'.length)), client }
          : { kind: 'premise', agent_id: 501, premise_id: Number(b.claim), purchase_option: 'full_payment', client };
      }
    }
  }

  async view(b: Booking): Promise<View | undefined> {
    const res = await this.client.call('GET', `/api/v1/bookings/${b.bookingId}`, undefined, undefined, 120_000);
    if (res?.status === 200) b.view = res.body as unknown as View;
    else if (res) b.notes.push(`GET answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
    return b.view;
  }

  /** Starts booking `index` and drives it as an app would, up to its answer (the end phase waits for the rest). */
  async drive(index: number): Promise<void> {
    const provider = PROVIDER_ORDER[index % PROVIDER_ORDER.length]!;
    const intents = INTENTS[provider];
    const b: Booking = {
      key: `chaos-${this.runId}-${index}`,
      provider,
      intent: intents[Math.floor(index / PROVIDER_ORDER.length) % intents.length]!,
      request: {},
      answeredIds: new Set(),
      notes: [],
    };
    const request = await this.request(b, index);
    if (!request) {
      say(`booking ${index} (${provider}) not sent: nothing free to book for 3 minutes`);
      return;
    }
    b.request = request;
    this.all.push(b);
    try {
      const started = await this.client.call('POST', '/api/v1/bookings', { provider, request }, b.key);
      if (!started) {
        b.refused = 'no answer below 500 within 5 minutes';
        return;
      }
      if (started.status !== 202 && started.status !== 200) {
        b.refused = `${started.status} ${JSON.stringify(started.body).slice(0, 300)}`;
        return;
      }
      b.bookingId = started.body.bookingId as string;
      b.answeredIds.add(b.bookingId);
      // Until it shows where it is (held, confirmed... or ended).
      const deadline = Date.now() + 180_000;
      let view: View | undefined;
      for (;;) {
        view = await this.view(b);
        if (view && view.status !== 'pending' && view.status !== 'processing') break;
        if (Date.now() > deadline) {
          b.notes.push(`still ${view?.status} (${view?.stage}) after 3 minutes`);
          return;
        }
        await delay(2000);
      }
      if (b.claim) this.claimed.delete(b.claim);
      b.claim = undefined;
      const answers = ANSWERS[b.intent];
      for (const [n, answer] of answers.entries()) {
        // hotels24 stops as often as it needs to: each stop is accepted, until it books.
        for (let stop = 0; stop < (b.provider === 'hotels24' ? 3 : 1); stop++) {
          const offered = await this.untilOffered(b, answer, answers.slice(n + 1));
          if (!offered) break;
          await this.give(b, answer, `${b.key}-${answer}-${offered.stage ?? ''}`, index % 7 === 0);
        }
      }
      // And the booking's POST again, with its key: the same booking.
      if (index % 5 === 0) {
        const replay = await this.client.call('POST', '/api/v1/bookings', { provider, request }, b.key);
        if (replay?.body.bookingId) b.answeredIds.add(replay.body.bookingId as string);
      }
    } finally {
      if (b.claim) this.claimed.delete(b.claim);
    }
  }

  /**
   * The booking's view once it offers `answer`; undefined when it offers a later one instead
   * (a chrono booking that got a place on the main list needs no accept), or, noted, when
   * it ended or did not within 3 minutes.
   */
  private async untilOffered(b: Booking, answer: string, later: string[]): Promise<View | undefined> {
    const deadline = Date.now() + 180_000;
    const offers = (actions: string[], a: string): boolean => actions.includes(a) || actions.includes(ALSO_OFFERED_AS[a] ?? a);
    for (;;) {
      const view = await this.view(b);
      const actions = view?.waitingFor?.actions ?? [];
      if (view && offers(actions, answer)) return view;
      if (view && later.some((a) => offers(actions, a))) return undefined;
      if (view && TERMINAL.has(view.status)) {
        // A hotels24 booking that books after its last stop is what was asked for.
        if (!(b.intent === 'approve' && view.status === 'completed')) b.notes.push(`${answer} not offered: it ended ${view.status} (${view.stage})`);
        return undefined;
      }
      if (Date.now() > deadline) {
        b.notes.push(`${answer} not offered within 3 minutes: ${view?.status} (${view?.stage})`);
        return undefined;
      }
      await delay(2000);
    }
  }

  /** One answer with its Idempotency-Key; sent twice when `twice` (the second must come back the same). */
  private async give(b: Booking, answer: string, key: string, twice: boolean): Promise<void> {
    const route = `/api/v1/bookings/${b.bookingId}/${answer}`;
    const answered = await this.client.call('POST', route, bodyOf(answer), key);
    if (!answered) b.notes.push(`${answer}: no answer below 500 within 5 minutes`);
    else if (answered.status !== 200 && answered.status !== 202) b.notes.push(`${answer} answered ${answered.status}: ${JSON.stringify(answered.body).slice(0, 200)}`);
    if (twice && answered && (answered.status === 200 || answered.status === 202)) {
      const again = await this.client.call('POST', route, bodyOf(answer), key);
      if (again && again.status >= 400) b.notes.push(`${answer} sent again with its key answered ${again.status}: ${JSON.stringify(again.body).slice(0, 200)}`);
    }
  }

  /** Polls every accepted booking until it ended, or `timeoutMs` passes. */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const open = this.all.filter((b) => b.bookingId && !TERMINAL.has(b.view?.status ?? ''));
      const line = `${open.length} bookings not ended yet`;
      if (line !== last) say(line);
      last = line;
      if (open.length === 0 || Date.now() > deadline) return;
      await pool(open, 8, async (b) => {
        await this.view(b);
      });
      await delay(3000);
    }
  }
}

async function pool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

// ---------------------------------------------------------------------------------------
// Chaos: faults at the simulators, processes killed

interface ChaosEvent {
  name: string;
  run: () => Promise<string | void>;
}

const FAULT_KINDS = ['5xx', 'failNext', 'hang', 'slow', 'garble'] as const;
const GARBLES = ['truncated_json', 'empty', 'empty_object', 'html_502'] as const;

function faultEvent(state: StackState, kind: (typeof FAULT_KINDS)[number], provider: ProviderName, n: number): ChaosEvent {
  const sim = state.simulators[provider]!;
  const set = (faults: Record<string, unknown>): Promise<unknown> => control(sim, '/faults', faults);
  switch (kind) {
    case '5xx':
      return {
        name: `${provider}: 30% of requests answered 503 for 10 s`,
        run: async () => {
          await set({ errorRate: 0.3 });
          await delay(10_000);
          await set({ errorRate: 0 });
        },
      };
    case 'failNext': {
      const status = [500, 502, 503][n % 3]!;
      return { name: `${provider}: the next 3 requests answered ${status}`, run: async () => void (await set({ failNext: 3, failStatus: status, faultsOn: '.' })) };
    }
    case 'hang':
      return {
        name: `${provider}: the next 2 POSTs acted on, answered after ${HANG_MS / 1000} s (timeout ${PROVIDER_TIMEOUT})`,
        run: async () => void (await set({ hangNext: 2, hangMs: HANG_MS, faultsOn: '^POST ' })),
      };
    case 'slow':
      return {
        name: `${provider}: every request answered 1.5 s late for 10 s`,
        run: async () => {
          await set({ latencyMs: 1500 });
          await delay(10_000);
          await set({ latencyMs: 0 });
        },
      };
    case 'garble': {
      const as = GARBLES[n % GARBLES.length]!;
      return { name: `${provider}: the next POST acted on, answered ${as}`, run: async () => void (await set({ garbleNext: 1, garbleAs: as, faultsOn: '^POST ' })) };
    }
  }
}

/** Waits until `check` passes (or 3 minutes: then says so). */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<string> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > 180_000) throw new Error(`${what}: not within 180 s`);
    await delay(500);
  }
  return `${what} in ${seconds(Date.now() - t0)}`;
}

function killChild(name: string): number {
  const pid = readState()?.children[name];
  if (!pid) throw new Error(`.data/stack.json names no ${name}`);
  process.kill(pid, 'SIGKILL');
  return pid;
}

function killEvents(state: StackState): ChaosEvent[] {
  const temporalUp = (): Promise<boolean> => temporalAnswers(state.temporalAddress, NAMESPACE);
  const worker = (slot: string): ChaosEvent => ({
    name: `${slot} killed (SIGKILL)`,
    run: async () => {
      const bothUp = (): boolean => Object.keys(readState()?.workers ?? {}).length === 2;
      await until('both workers running', bothUp);
      const pid = killChild(slot);
      return until(`${slot} (pid ${pid}) started again`, () => {
        const now = readState()?.workers[slot];
        return now !== undefined && now !== pid;
      });
    },
  });
  const restarted = (name: string, ready: () => Promise<boolean>): ChaosEvent => ({
    name: `${name} killed (SIGKILL)`,
    run: async () => {
      const pid = killChild(name);
      return until(`${name} (pid ${pid}) started again and ready`, async () => {
        const now = readState()?.children[name];
        return now !== undefined && now !== pid && (await ready());
      });
    },
  });
  const events: ChaosEvent[] = [];
  for (let i = 0; i < PLAN.workerKills; i++) events.push(worker(`worker-${(i % 2) + 1}`));
  events.push(restarted('temporal', temporalUp));
  events.push({
    name: 'PostgreSQL killed (SIGKILL to the postmaster)',
    run: async () => {
      const pid = postmasterPid();
      if (!pid) throw new Error('PostgreSQL does not run');
      process.kill(pid, 'SIGKILL');
      const back = await until(`PostgreSQL (pid ${pid}) started again by the stack`, () => (postmasterPid() ?? pid) !== pid);
      return `${back}; ${await until('Temporal answering again', temporalUp)}`;
    },
  });
  events.push(restarted('api', () => httpOk(`http://${LOOPBACK}:${new URL(state.api).port}/health`)));
  return events;
}

/** Faults and kills interleaved: kills spread evenly among the faults. */
function chaosEvents(state: StackState): ChaosEvent[] {
  const faults: ChaosEvent[] = [];
  for (let round = 0; round < PLAN.faultRounds; round++) {
    FAULT_KINDS.forEach((kind, k) => faults.push(faultEvent(state, kind, PROVIDER_ORDER[(k + round) % PROVIDER_ORDER.length]!, round)));
  }
  const kills = killEvents(state);
  const events: ChaosEvent[] = [];
  const every = Math.max(1, Math.floor(faults.length / kills.length));
  faults.forEach((f, i) => {
    events.push(f);
    if ((i + 1) % every === 0 && kills.length > 0) events.push(kills.shift()!);
  });
  return [...events, ...kills];
}

// ---------------------------------------------------------------------------------------
// The checks

async function readStates(state: StackState): Promise<ProviderStates> {
  const sims = state.simulators;
  const [oks, qtickets, hotels24, chrono, brusnika] = await Promise.all([
    simulatorState<OksState>(sims.oks!),
    simulatorState<QticketsState>(sims.qtickets!),
    simulatorState<Hotels24State>(sims.hotels24!),
    simulatorState<ChronoState>(sims.chrono!),
    simulatorState<BrusnikaState>(sims.brusnika!),
  ]);
  return { oks, qtickets, hotels24, chrono, brusnika };
}

/** Every booking Temporal started in the namespace since the run began is one of the keys' (none more, none missing). */
async function checkTemporal(state: StackState, bookings: Booking[], since: Date, violations: Violation[]): Promise<number> {
  const connection = await Connection.connect({ address: state.temporalAddress });
  try {
    const client = new Client({ connection, namespace: NAMESPACE, dataConverter: stackDataConverter() });
    const ids = new Set<string>();
    for await (const wf of client.workflow.list({ query: `StartTime >= "${since.toISOString()}"` })) ids.add(wf.workflowId);
    const expected = new Set(bookings.filter((b) => b.bookingId).map((b) => `booking-${b.bookingId}`));
    for (const id of ids) if (!expected.has(id)) violations.push({ kind: 'booking of no key', bookingId: id.replace(/^booking-/, ''), detail: `workflow ${id} was started during the run but no key was answered with it` });
    for (const b of bookings) if (b.bookingId && !ids.has(`booking-${b.bookingId}`)) violations.push({ kind: 'lost', provider: b.provider, bookingId: b.bookingId, key: b.key, detail: 'accepted, but Temporal lists no such workflow' });
    return ids.size;
  } finally {
    await connection.close();
  }
}

/** Bookings an aborted earlier run left open in the chaos namespace: ended, so they touch nothing of this run's. */
async function terminateLeftovers(state: StackState): Promise<number> {
  const connection = await Connection.connect({ address: state.temporalAddress });
  try {
    const client = new Client({ connection, namespace: NAMESPACE, dataConverter: stackDataConverter() });
    let n = 0;
    for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
      await client.workflow
        .getHandle(wf.workflowId, wf.runId)
        .terminate('left open by an earlier chaos run')
        .catch(() => undefined);
      n += 1;
    }
    return n;
  } finally {
    await connection.close();
  }
}

// ---------------------------------------------------------------------------------------

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function run(stack: StartedStack | undefined): Promise<number> {
  const t0 = Date.now();
  const state = readState()!;
  const runId = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15).toLowerCase();
  const left = await terminateLeftovers(state);
  if (left > 0) say(`${left} bookings an earlier run left open terminated`);
  const client = new ChaosClient(state.api, state.tokens.approver);
  const bookings = new Bookings(state, client, runId);
  await bookings.setUp();
  const base = baselineOf(await readStates(state));
  const since = new Date(Date.now() - 1000);

  say(`${PLAN.bookings} bookings, ${PLAN.concurrency} at a time, with chaos meanwhile`);
  const events = chaosEvents(state);
  const eventLog: { at: number; name: string; outcome: string }[] = [];
  const chaos = (async () => {
    for (const event of events) {
      await delay(PLAN.eventGapMs);
      const at = Math.round((Date.now() - t0) / 1000);
      try {
        const outcome = (await event.run()) ?? 'done';
        eventLog.push({ at, name: event.name, outcome });
        say(`chaos +${at} s: ${event.name}: ${outcome}`);
      } catch (err) {
        const outcome = `FAILED: ${err instanceof Error ? err.message : String(err)}`;
        eventLog.push({ at, name: event.name, outcome });
        say(`chaos +${at} s: ${event.name}: ${outcome}`);
      }
    }
  })();
  let done = 0;
  await pool(
    Array.from({ length: PLAN.bookings }, (_, i) => i),
    PLAN.concurrency,
    async (i) => {
      // Spread over the chaos, not all before it.
      await delay(t0 + i * PLAN.paceMs - Date.now());
      await bookings.drive(i);
      done += 1;
      if (done % 50 === 0 || done === PLAN.bookings) say(`${done} of ${PLAN.bookings} bookings started and answered (+${seconds(Date.now() - t0)})`);
    },
  );
  await chaos;
  say(`chaos over: waiting for every booking to end (+${seconds(Date.now() - t0)})`);
  await bookings.settle(PLAN.settleMs);

  const violations: Violation[] = [];
  checkBookings(bookings.all, violations);
  const { oksFlagged } = checkInventories(await readStates(state), bookings.all, base, violations);
  const workflows = await checkTemporal(state, bookings.all, since, violations);
  const failedEvents = eventLog.filter((e) => e.outcome.startsWith('FAILED'));
  for (const e of failedEvents) violations.push({ kind: 'chaos step failed', detail: `${e.name}: ${e.outcome}` });

  // What the providers answered the workers (the faults they met).
  const providerCalls: Record<string, { calls: number; answered5xx: number }> = {};
  for (const p of PROVIDER_ORDER) {
    const res = await fetch(`${state.simulators[p]}/__control/calls`, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
    const calls = res?.ok ? ((await res.json()) as { status: number }[]) : [];
    providerCalls[p] = { calls: calls.length, answered5xx: calls.filter((c) => c.status >= 500).length };
  }

  // The report.
  const accepted = bookings.all.filter((b) => b.bookingId);
  const ends: Record<string, Record<string, number>> = {};
  for (const b of accepted) {
    const row = (ends[b.provider] ??= {});
    const status = b.view?.status ?? 'unknown';
    row[status] = (row[status] ?? 0) + 1;
  }
  const causes = [...client.causes.values()].sort((a, b) => b.count - a.count);
  const elapsed = Math.round((Date.now() - t0) / 1000);
  process.stdout.write(`\nChaos ${short ? '(short) ' : ''}run ${runId}: ${accepted.length} bookings accepted of ${bookings.all.length} sent (${workflows} workflows), ${client.requests} requests, ${elapsed} s\n\n`);
  const statuses = ['completed', 'cancelled', 'expired', 'failed', 'other'];
  process.stdout.write(
    `${table([
      ['provider', ...statuses, 'attention', 'calls to it', 'of them 5xx'],
      ...PROVIDER_ORDER.map((p) => {
        const row = ends[p] ?? {};
        const other = Object.entries(row)
          .filter(([s]) => !TERMINAL.has(s))
          .reduce((n, [, c]) => n + c, 0);
        return [
          p,
          ...statuses.slice(0, 4).map((s) => String(row[s] ?? 0)),
          String(other),
          String(accepted.filter((b) => b.provider === p && b.view?.attention).length),
          String(providerCalls[p]!.calls),
          String(providerCalls[p]!.answered5xx),
        ];
      }),
    ])}\n\n`,
  );
  process.stdout.write('Answers of 5xx or none, by cause (each was retried with the same Idempotency-Key):\n\n');
  process.stdout.write(`${table([['count', 'status', 'code', 'message'], ...causes.map((c) => [String(c.count), c.status, c.code, c.message])])}\n\n`);
  const otherwise = new Map<string, number>();
  for (const b of accepted.filter((x) => x.view?.status !== EXPECTED_END[x.intent])) {
    const key = `${b.provider} ${b.intent} → ${b.view?.status ?? 'unknown'}`;
    otherwise.set(key, (otherwise.get(key) ?? 0) + 1);
  }
  const asDriven = accepted.length - [...otherwise.values()].reduce((n, c) => n + c, 0);
  process.stdout.write(`Ended as driven: ${asDriven} of ${accepted.length}${otherwise.size ? `; otherwise: ${[...otherwise].map(([k, n]) => `${k} ${n}`).join(', ')}` : ''}\n`);
  process.stdout.write(`oks bookings flagged for an operator with a deal possibly held (outcome unknown): ${oksFlagged.length}\n`);
  const kinds = ['lost', 'booked twice', 'held twice', 'held with no booking', 'hold lost', 'stuck', 'needs an operator', 'refused'];
  process.stdout.write(`${kinds.map((k) => `${k}: ${violations.filter((v) => v.kind === k).length}`).join(', ')}\n`);
  for (const v of violations) process.stdout.write(`VIOLATION ${v.kind}${v.provider ? ` [${v.provider}]` : ''}${v.bookingId ? ` booking ${v.bookingId}` : ''}${v.key ? ` (key ${v.key})` : ''}: ${v.detail}\n`);

  const report = {
    run: runId,
    short,
    startedAt: new Date(t0).toISOString(),
    seconds: elapsed,
    plan: PLAN,
    timing: TIMING,
    providerTimeout: PROVIDER_TIMEOUT,
    bookingsSent: bookings.all.length,
    bookingsAccepted: accepted.length,
    workflows,
    requests: client.requests,
    ends,
    endedAsDriven: asDriven,
    endedOtherwise: Object.fromEntries(otherwise),
    providerCalls,
    causes,
    oksFlagged,
    events: eventLog,
    violations,
    bookings: bookings.all.map((b) => ({
      key: b.key,
      provider: b.provider,
      intent: b.intent,
      bookingId: b.bookingId,
      status: b.view?.status,
      stage: b.view?.stage,
      attention: b.view?.attention,
      error: b.view?.error,
      notes: b.notes,
    })),
    stackLog: stack ? path.relative(projectRoot, stack.log) : undefined,
  };
  const file = path.join(dataDir, `chaos-${runId}.json`);
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  say(`report written to ${path.relative(projectRoot, file)}`);
  return violations.length > 0 ? 1 : 0;
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const existing = readState();
  if (existing && alive(existing.pid)) {
    say(`a stack already runs (pid ${existing.pid}): chaos starts its own, with short durations and restarts; stop it first (npm run stack:stop)`);
    return 2;
  }
  if (existing) cleanUpKilledStack(say);
  let stack: StartedStack | undefined;
  let code = 1;
  try {
    stack = await startStack(
      stackLog,
      {
        STACK_RESTART: 'all',
        STACK_RESTART_DELAY: '3',
        STACK_WORKER_RESTART_DELAY: '3',
        TEMPORAL_NAMESPACE: NAMESPACE,
        TEMPORAL_RETENTION: '1d',
        ...Object.fromEntries(PROVIDER_ORDER.map((p) => [`${p.toUpperCase()}_TIMEOUT`, PROVIDER_TIMEOUT])),
        ...TIMING,
      },
      say,
    );
    say(`the stack is up in ${seconds(Date.now() - t0)}`);
    code = await run(stack);
  } catch (err) {
    say(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (stack) process.stdout.write(`${logTail(stack.log, 60)}\n`);
  }
  if (stack) {
    say('stopping the stack');
    const stopped = await stopStarted(stack);
    if (!stopped.clean) {
      say(`the stack did not stop cleanly (exit ${stopped.code}): see ${path.relative(projectRoot, stack.log)}`);
      code = 1;
    }
  }
  say(`done in ${seconds(Date.now() - t0)}${code === 0 ? '' : ' (violations or failures: exit 1)'}`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
