/**
 * `npm run stack:smoke`: every provider booked once through the API, over HTTP, against the
 * production-shaped stack (`npm run stack`: PostgreSQL-backed Temporal, two workers):
 *
 *   oks       held, then complete → completed
 *   qtickets  two free seats held, then payment → completed
 *   hotels24  autoConfirm → completed
 *   chrono    on the main list (confirmed), then cancel → cancelled
 *   brusnika  a premise booked (confirmed), then cancel → cancelled
 *   failover  an oks booking whose worker is killed with SIGKILL while it waits on oks's
 *             task: the other worker finishes it
 *
 * Each booking must also be found by a list on its search attributes (PostgreSQL
 * visibility). It uses a stack that is up (`.data/stack.json` says ready), or starts one
 * (its output in .data/stack-smoke.log) and stops it at the end, which is checked too.
 * Ends with `N passed, N failed`; exits 1 on any failure.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common';
import { delay } from './processes';
import { type StackState, stackDataConverter, stackStateFile } from './stack';
import { type StartedStack, alive, cleanUpKilledStack, control, logTail, readState, startStack, stopStarted } from './stack-client';
import { projectRoot } from './temporal-cli';

const smokeLog = path.join(projectRoot, '.data', 'stack-smoke.log');

function say(message: string): void {
  process.stdout.write(`[smoke] ${message}\n`);
}

// ---------------------------------------------------------------------------------------
// The stack

function startSmokeStack(): Promise<StartedStack> {
  return startStack(
    smokeLog,
    {
      // The killed worker stays down while the smoke test runs: the other one must finish.
      STACK_WORKER_RESTART_DELAY: '600',
      // oks's task is looked at every second at most: a killed worker's poll is retried
      // after its heartbeat timeout (this + 30 s).
      OKS_TASK_POLL_MAX: '1s',
    },
    say,
  );
}

// ---------------------------------------------------------------------------------------
// HTTP

interface View {
  bookingId: string;
  status: string;
  stage: string;
  references: Record<string, unknown>;
  error?: unknown;
}

class Api {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  async call(method: string, route: string, json?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.base}${route}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      body: json === undefined ? undefined : JSON.stringify(json),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let body: Record<string, unknown> = { text };
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: kept as text
    }
    return { status: res.status, body };
  }

  async book(provider: string, request: unknown): Promise<string> {
    const res = await this.call('POST', '/api/v1/bookings', { provider, request });
    if (res.status !== 202) throw new Error(`POST /api/v1/bookings (${provider}) answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.bookingId as string;
  }

  async view(bookingId: string): Promise<View> {
    let res = await this.call('GET', `/api/v1/bookings/${bookingId}`);
    // 503 while the booking's worker was just killed and Temporal has not yet moved it to
    // another one: "the booking is safe, try again shortly".
    for (let tries = 0; res.status === 503 && tries < 30; tries++) {
      await delay(1000);
      res = await this.call('GET', `/api/v1/bookings/${bookingId}`);
    }
    if (res.status !== 200) throw new Error(`GET booking ${bookingId} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as unknown as View;
  }

  /** Polls the booking until it has `status` (and `stage`); fails at once when it ends otherwise. */
  async until(bookingId: string, status: string, stage?: string, timeoutMs = 60_000): Promise<View> {
    const deadline = Date.now() + timeoutMs;
    let last: View | undefined;
    while (Date.now() < deadline) {
      last = await this.view(bookingId);
      if (last.status === status && (stage === undefined || last.stage === stage)) return last;
      if (['failed', 'cancelled', 'expired', 'completed'].includes(last.status) && last.status !== status) {
        throw new Error(`booking ${bookingId} ended ${last.status} (${last.stage}), not ${status}: ${JSON.stringify(last.error ?? null)}`);
      }
      await delay(500);
    }
    throw new Error(`booking ${bookingId} is ${last?.status} (${last?.stage}) after ${timeoutMs / 1000} s, not ${status}${stage ? ` (${stage})` : ''}`);
  }

  async act(bookingId: string, action: string, json: unknown = {}): Promise<View> {
    const res = await this.call('POST', `/api/v1/bookings/${bookingId}/${action}`, json);
    if (res.status !== 200 && res.status !== 202) throw new Error(`POST ${action} on ${bookingId} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as unknown as View;
  }

  /** A list by search attributes (PostgreSQL visibility) finds the booking, within 30 s. */
  async listed(bookingId: string, query: Record<string, string>): Promise<void> {
    const qs = new URLSearchParams({ ...query, limit: '200' }).toString();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await this.call('GET', `/api/v1/bookings?${qs}`);
      if (res.status !== 200) throw new Error(`GET /api/v1/bookings?${qs} answered ${res.status}: ${JSON.stringify(res.body)}`);
      if ((res.body.bookings as { bookingId: string }[]).some((b) => b.bookingId === bookingId)) return;
      if (Date.now() > deadline) throw new Error(`a list by ${qs} does not find booking ${bookingId}`);
      await delay(1000);
    }
  }
}

// ---------------------------------------------------------------------------------------
// The checks

type Check = [name: string, run: () => Promise<string | void>];

const oksRequest = (layoutUuid: string = randomUUID()) => ({ layoutUuid, phone: '+77071234567', firstName: 'Иван', lastName: 'Иванов', reserveDays: 1 });

function providerChecks(state: StackState, api: Api): Check[] {
  return [
    [
      'oks: held, then complete → completed',
      async () => {
        const id = await api.book('oks', oksRequest());
        const held = await api.until(id, 'held');
        await api.listed(id, { provider: 'oks', reference: `oks:shows_id:${String(held.references.shows_id)}` });
        await api.act(id, 'complete');
        await api.until(id, 'completed');
        await api.listed(id, { provider: 'oks', status: 'completed' });
      },
    ],
    [
      'qtickets: two seats held, then payment → completed',
      async () => {
        const events = await api.call('GET', '/api/v1/providers/qtickets/events');
        if (events.status !== 200) throw new Error(`events answered ${events.status}`);
        for (const event of events.body.events as { event_id: number; show_id: number }[]) {
          const seats = await api.call('GET', `/api/v1/providers/qtickets/events/${event.event_id}/seats?show_id=${event.show_id}`);
          if (seats.status !== 200) continue;
          const free = (seats.body.zones as { seats: { seat_id: string; available: boolean }[] }[]).flatMap((z) => z.seats.filter((s) => s.available).map((s) => s.seat_id));
          if (free.length < 2) continue;
          const id = await api.book('qtickets', { event_id: event.event_id, show_id: event.show_id, seats: free.slice(0, 2) });
          await api.until(id, 'held');
          await api.listed(id, { provider: 'qtickets', status: 'held' });
          await api.act(id, 'payment');
          await api.until(id, 'completed', 'paid');
          await api.listed(id, { provider: 'qtickets', status: 'completed' });
          return `event ${event.event_id}, show ${event.show_id}, seats ${free.slice(0, 2).join(' ')}`;
        }
        throw new Error('no show has two free seats');
      },
    ],
    [
      'hotels24: autoConfirm → completed',
      async () => {
        // A night in September or October next year (the base price), one of 61, so stock lasts across runs.
        const arrival = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 8, 1 + Math.floor(Math.random() * 60)));
        const departure = new Date(arrival.getTime() + 24 * 60 * 60 * 1000);
        const id = await api.book('hotels24', {
          arrival_date: arrival.toISOString().slice(0, 10),
          departure_date: departure.toISOString().slice(0, 10),
          blocks: [{ tariff: '507f1f77bcf86cd799439011', total_cost: 500, quantity: 1 }],
          requisites: { first_name: 'Booker', last_name: 'Da Mega', email: 'mega.booker@hotels24.ua', phone: '0800210017' },
          autoConfirm: true,
        });
        await api.until(id, 'completed', 'complete');
        await api.listed(id, { provider: 'hotels24', status: 'completed' });
      },
    ],
    [
      'chrono: main list, then cancel → cancelled',
      async () => {
        const slug = `smoke-${randomUUID().slice(0, 8)}`;
        const datetime = new Date(Date.now() + 24 * 60 * 60 * 1000).toISOString().slice(0, 19).replace('T', ' ');
        await control(state.simulators.chrono!, '/agendas/gymnase-jean-moulin/events', { slug, datetime, duration: 60, places: 5 });
        const id = await api.book('chrono', {
          agenda: 'gymnase-jean-moulin',
          slot: slug,
          user_external_id: `usager-${randomUUID()}`,
          user_first_name: 'Camille',
          user_last_name: 'Martin',
          user_email: 'camille.martin@example.fr',
          user_phone_number: '+33612345678',
          count: 1,
          timezone: 'UTC',
        });
        await api.until(id, 'confirmed', 'main_list');
        await api.listed(id, { provider: 'chrono', status: 'confirmed' });
        await api.act(id, 'cancel', { reason: 'smoke test' });
        await api.until(id, 'cancelled');
        await api.listed(id, { provider: 'chrono', status: 'cancelled' });
      },
    ],
    [
      'brusnika: a premise booked (confirmed), then cancel → cancelled',
      async () => {
        // The CRM decides in a second (60 s by default); agent 501 may book as often as needed.
        await control(state.simulators.brusnika!, '/timing', { bookingDecisionMs: 1000 });
        await control(state.simulators.brusnika!, '/users/501', { remaining_user_creation_limit: 1000 });
        // A free premise (Temporal keeps bookings of earlier runs going: not always the same one).
        const listed = await api.call('GET', '/api/v1/providers/brusnika/premises?free_only=true&purchase_option=full_payment');
        if (listed.status !== 200) throw new Error(`premises answered ${listed.status}: ${JSON.stringify(listed.body)}`);
        const premises = (Array.isArray(listed.body) ? listed.body : (listed.body.data ?? listed.body.premises ?? [])) as { id: number }[];
        const premise = premises[Math.floor(Math.random() * premises.length)];
        if (!premise) throw new Error('brusnika lists no free premise');
        const id = await api.book('brusnika', {
          kind: 'premise',
          agent_id: 501,
          premise_id: premise.id,
          purchase_option: 'full_payment',
          client: { fullname: 'Смирнов Алексей Дмитриевич', phone_number: '8 (912) 001-00-01' },
        });
        await api.until(id, 'confirmed');
        await api.listed(id, { provider: 'brusnika', status: 'confirmed' });
        await api.act(id, 'cancel', { reason: 'smoke test' });
        await api.until(id, 'cancelled');
        await api.listed(id, { provider: 'brusnika', status: 'cancelled' });
        return `premise ${premise.id}`;
      },
    ],
  ];
}

/**
 * oks keeps the task processing for 20 s; the worker that runs the poll activity is killed
 * while it waits; the poll is retried on the other worker after its heartbeat timeout.
 */
async function failover(state: StackState, api: Api, temporal: Client, startedHere: boolean): Promise<string> {
  const layoutUuid = randomUUID();
  await control(state.simulators.oks!, '/scenarios', { layoutUuid, processingMs: 20_000 });
  const id = await api.book('oks', oksRequest(layoutUuid));
  const handle = temporal.workflow.getHandle(`booking-${id}`);
  const workerPids = new Set(Object.values(state.workers));
  let victim: number | undefined;
  const deadline = Date.now() + 30_000;
  while (victim === undefined) {
    const described = await handle.describe();
    for (const activity of described.raw.pendingActivities ?? []) {
      const pid = Number((activity.lastWorkerIdentity ?? '').split('@')[0]);
      if (activity.activityType?.name === 'awaitLayoutBookingTask' && activity.state === 2 /* STARTED */ && workerPids.has(pid)) victim = pid;
    }
    if (victim === undefined) {
      if (Date.now() > deadline) throw new Error('no worker of the stack ran the booking within 30 s');
      await delay(250);
    }
  }
  const victimName = Object.entries(state.workers).find(([, pid]) => pid === victim)?.[0];
  const survivor = Object.entries(state.workers).find(([, pid]) => pid !== victim);
  say(`failover: killing ${victimName} (pid ${victim}) with SIGKILL while it polls oks's task`);
  process.kill(victim, 'SIGKILL');
  const killedAt = Date.now();

  await api.until(id, 'held', undefined, 150_000);
  await api.act(id, 'complete');
  await api.until(id, 'completed', undefined, 60_000);
  await api.listed(id, { provider: 'oks', status: 'completed' });

  // Who ran what after the kill: the history's started events name their worker.
  const identities = new Set<string>();
  for (const event of (await handle.fetchHistory()).events ?? []) {
    const started = event.activityTaskStartedEventAttributes ?? event.workflowTaskStartedEventAttributes;
    if (started?.identity && optionalTsToMs(event.eventTime)! > killedAt) identities.add(started.identity);
  }
  const finishedBy = [...identities].map((identity) => Number(identity.split('@')[0]));
  if (finishedBy.includes(victim)) throw new Error(`the killed worker (pid ${victim}) still appears in the history after the kill (${[...identities].join(', ')})`);
  if (startedHere && survivor && !finishedBy.every((pid) => pid === survivor[1])) {
    throw new Error(`after the kill the booking ran on ${finishedBy.join(', ')}, not only on ${survivor[0]} (pid ${survivor[1]})`);
  }
  return `${victimName} killed; finished by ${survivor ? `${survivor[0]} (pid ${survivor[1]})` : finishedBy.join(', ')} ${Math.round((Date.now() - killedAt) / 1000)} s later`;
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const t0 = Date.now();
  let stack: StartedStack | undefined;
  let passed = 0;
  let failed = 0;
  const record = (name: string, error: unknown, detail?: string | void): void => {
    if (error === undefined) {
      passed += 1;
      say(`ok    ${name}${detail ? ` (${detail})` : ''}`);
    } else {
      failed += 1;
      say(`FAIL  ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  try {
    let state = readState();
    if (state?.ready && alive(state.pid)) {
      say(`using the stack that is up (pid ${state.pid})`);
    } else {
      if (state && !alive(state.pid)) cleanUpKilledStack(say);
      stack = await startSmokeStack();
      state = readState()!;
      say(`the stack is up in ${Math.round((Date.now() - t0) / 1000)} s`);
    }
    const api = new Api(state.api, state.tokens.approver);
    const connection = await Connection.connect({ address: state.temporalAddress });
    const temporal = new Client({ connection, namespace: state.namespace, dataConverter: stackDataConverter() });
    const t1 = Date.now();
    try {
      const runCheck = async ([name, run]: Check): Promise<void> => {
        const started = Date.now();
        try {
          const detail = await run();
          record(name, undefined, [detail, `${((Date.now() - started) / 1000).toFixed(1)} s`].filter(Boolean).join('; '));
        } catch (err) {
          record(name, err);
        }
      };
      // The providers at once; then the failover alone, so that only its booking is in
      // flight on the worker it kills (another's activities would wait out their timeouts).
      await Promise.all(providerChecks(state, api).map(runCheck));
      await runCheck(['failover: a worker killed with SIGKILL mid-booking, the other finishes it', () => failover(state, api, temporal, stack !== undefined)]);
    } finally {
      await connection.close();
    }
    say(`bookings checked in ${Math.round((Date.now() - t1) / 1000)} s`);
  } catch (err) {
    record('the stack starts', err);
  }

  if (stack) {
    say('stopping the stack (SIGTERM)');
    const stopped = await stopStarted(stack);
    if (stopped.clean) record(`the stack stops cleanly (${stopped.seconds} s)`, undefined);
    else record('the stack stops cleanly', new Error(`exit ${stopped.code}${readState() ? `, ${path.relative(projectRoot, stackStateFile)} left behind` : ''}:\n${logTail(smokeLog, 20)}`));
  }
  if (failed > 0 && stack) {
    say(`the stack's output is in ${path.relative(projectRoot, smokeLog)}`);
    // CI keeps nothing but this output: the end of the stack's too.
    if (process.env.CI) process.stdout.write(`${logTail(smokeLog, 80)}\n`);
  }
  say(`done in ${Math.round((Date.now() - t0) / 1000)} s`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.stdout.write('0 passed, 1 failed\n');
    process.exit(1);
  },
);
