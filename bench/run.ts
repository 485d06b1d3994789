/**
 * `npm run bench`: what a booking costs beyond Temporal itself, measured side by
 * side in one run, on one dev server and one set of worker settings:
 *
 * - the ceiling: a do-nothing workflow of each provider's main-path shape
 *   (bench/ceiling-workflows.ts, its own bundle and task queue), driven through
 *   the Temporal client;
 * - each provider's main path through the API (simulators at zero latency), and
 *   oks through the Temporal client directly, so the API's own share shows;
 * - ratios to the ceiling, API start p50/p99, end-to-end p50/p99 at half the
 *   peak rate and the orchestrator's share of it;
 * - BENCH_OPEN open bookings (held): worker and server RSS, GET and list p99,
 *   the time to start them;
 * - history events of each main path, from the run's own histories;
 * - the dev server as `npm start` runs it (SQLite file) against an in-memory
 *   one, with and without WAL pragmas, and bookings surviving a kill -9.
 *
 * Processes, as `npm start` has them: the Temporal CLI's dev server, the
 * product worker (bench/worker.ts product), the ceiling worker (bench/worker.ts
 * ceiling), the API (api/main.ts); the simulators and the load run here.
 *
 *   npm run bench                                   # defaults below
 *   BENCH_BOOKINGS=50 BENCH_OPEN=500 npm run bench   # a quick run
 *   BENCH_ONLY=oks,persistence npm run bench         # some parts only
 *   BENCH_WORKER_OPTIONS='{"maxCachedWorkflows":12000}' npm run bench   # a worker option, both workers
 *   BENCH_WORKFLOWS=bench/oks-workflows.ts npm run bench   # the product worker bundles the oks workflow alone
 *   BENCH_PREBUILT_BUNDLE=1 npm run bench            # the product worker runs a bundle built beforehand
 *   BENCH_PROFILE=1 npm run bench                    # --cpu-prof of worker and API into bench/results/profiles
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { BookLayoutRequest } from '../activities/oks/contract';
import { bookingDataConverter } from '../common/data-converter';
import { SealingCodec } from '../common/payload-codec';
import { PayloadKeys } from '../config/env';
import { BOOKING_BUNDLE } from '../worker/create';
import { oksTimingFrom } from '../api/providers/oks';
import { startBrusnikaSimulator } from '../simulators/brusnika';
import { addChronoEvent, startChronoSimulator } from '../simulators/chrono';
import { startHotels24Simulator } from '../simulators/hotels24';
import { startOksSimulator } from '../simulators/oks';
import { changeSeat, startQticketsSimulator } from '../simulators/qtickets';
import { type BookingView, type Provider, statusQuery, workflowIdFor } from '../workflows/booking';
import { complete } from '../workflows/oks';
import { bookingSearchAttributeCliArgs } from '../workflows/search-attributes';
import { ensureTemporalCli, persistedDevServerPragmas, projectRoot } from '../scripts/temporal-cli';
import { temporalAnswers } from '../scripts/processes';
import { type CeilingShape, type CeilingView, ceilingComplete, ceilingStatus } from './ceiling-workflows';

const num = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const BOOKINGS = num('BENCH_BOOKINGS', 200);
const IN_FLIGHT = num('BENCH_IN_FLIGHT', 40);
const OPEN = num('BENCH_OPEN', 10_000);
const POLL_MS = num('BENCH_POLL_MS', 100);
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const PROFILE = process.env.BENCH_PROFILE === '1';
const wanted = (part: string): boolean => ONLY.length === 0 || ONLY.includes(part);

const TOKEN = 'bench-app-token';
const PRODUCT_QUEUE = 'bench-bookings';
const CEILING_QUEUE = 'bench-ceiling';
const resultsDir = path.join(projectRoot, 'bench', 'results');
const say = (line: string): void => void process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------
// Processes

interface Proc {
  name: string;
  child: ChildProcess;
}

const children: Proc[] = [];

function spawnChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(command, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString().trim();
    if (text) process.stderr.write(`[${name}] ${text}\n`);
  });
  const proc = { name, child };
  children.push(proc);
  return proc;
}

async function stopChild(proc: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.child.once('exit', resolve));
  proc.child.kill(signal);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** CPU time (user + system, every thread) a process has used so far, in ms. */
function cpuMs(proc: Proc): number {
  const fields = fs.readFileSync(`/proc/${proc.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Processes whose CPU time each load is charged with; the bench process itself (simulators and load) as `bench`. */
const accounted: Record<string, Proc> = {};

function cpuSnapshot(): Record<string, number> {
  const own = process.cpuUsage();
  const out: Record<string, number> = { bench: (own.user + own.system) / 1000 };
  for (const [name, proc] of Object.entries(accounted)) out[name] = cpuMs(proc);
  return out;
}

function rssMiB(proc: Proc): number {
  const status = fs.readFileSync(`/proc/${proc.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const quietLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(200);
  }
}

type ServerKind = 'memory' | 'file' | 'file+wal';

interface TemporalServer {
  proc: Proc;
  address: string;
}

async function startServer(cli: string, kind: ServerKind, dbFilename?: string, port?: number): Promise<TemporalServer> {
  const p = port ?? (await freePort());
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(p), '--log-level', 'error'];
  for (const attribute of bookingSearchAttributeCliArgs) args.push('--search-attribute', attribute);
  if (kind !== 'memory') args.push('--db-filename', dbFilename!);
  if (kind === 'file+wal') args.push(...persistedDevServerPragmas);
  const proc = spawnChild(`temporal ${kind}`, cli, args, process.env);
  const address = `127.0.0.1:${p}`;
  await until(`the Temporal dev server (${kind}) on ${address}`, () => temporalAnswers(address, 'default'));
  return { proc, address };
}

async function startWorker(mode: 'product' | 'ceiling', env: NodeJS.ProcessEnv): Promise<Proc> {
  const prof = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(resultsDir, 'profiles', `worker-${mode}`)}`] : [];
  const proc = spawnChild(`worker ${mode}`, process.execPath, [...prof, '--import', 'tsx', 'bench/worker.ts', mode], env);
  await new Promise<void>((resolve, reject) => {
    proc.child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    proc.child.once('exit', (code) => reject(new Error(`worker ${mode} exited (${code}) before it was ready`)));
  });
  return proc;
}

// ---------------------------------------------------------------------------
// Measures

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function pool<T, R>(items: T[], concurrency: number, run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        out[index] = await run(items[index]!, index);
      }
    }),
  );
  return out;
}

/** One booking through its lifecycle: how long the start took, and its end-to-end time without the bench's own waits. */
interface Sample {
  id: string;
  startMs: number;
  e2eMs: number;
}

interface Load {
  name: string;
  /** CPU ms per booking, by process. */
  cpuPerBooking?: Record<string, number>;
  bookings: number;
  wallMs: number;
  perSecond: number;
  startP50: number;
  startP99: number;
  e2eP50: number;
  e2eP99: number;
  ids: string[];
}

function summarize(name: string, samples: Sample[], wallMs: number): Load {
  const starts = samples.map((s) => s.startMs);
  const e2e = samples.map((s) => s.e2eMs);
  return {
    name,
    bookings: samples.length,
    wallMs,
    perSecond: (samples.length / wallMs) * 1000,
    startP50: percentile(starts, 50),
    startP99: percentile(starts, 99),
    e2eP50: percentile(e2e, 50),
    e2eP99: percentile(e2e, 99),
    ids: samples.map((s) => s.id),
  };
}

/** `count` bookings, `inFlight` at a time: the peak rate. */
async function closedLoop(name: string, count: number, one: (i: number) => Promise<Sample>): Promise<Load> {
  const cpuBefore = cpuSnapshot();
  const started = performance.now();
  const samples = await pool(
    Array.from({ length: count }, (_, i) => i),
    IN_FLIGHT,
    (i) => one(i),
  );
  const load = summarize(name, samples, performance.now() - started);
  const cpuAfter = cpuSnapshot();
  load.cpuPerBooking = Object.fromEntries(Object.keys(cpuBefore).map((k) => [k, Math.round((cpuAfter[k]! - cpuBefore[k]!) / count)]));
  if (name !== 'warm-up') say(`          ${name}: CPU ms a booking ${Object.entries(load.cpuPerBooking).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return load;
}

/** `count` bookings started at `perSecond`, whatever is in flight: latency at a given rate. */
async function openLoop(name: string, count: number, perSecond: number, one: (i: number) => Promise<Sample>): Promise<Load> {
  const started = performance.now();
  const running: Promise<Sample>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await delay(wait);
    running.push(one(i));
  }
  const samples = await Promise.all(running);
  return summarize(name, samples, performance.now() - started);
}

// ---------------------------------------------------------------------------
// The providers' main paths

interface MainPath {
  provider: Provider;
  /** The do-nothing workflow of the same shape. */
  shape: CeilingShape;
  request: (i: number) => unknown;
  /** Where a person acts (or where the path ends when nobody acts). */
  reaches: BookingView['status'];
  answer?: { action: string; body?: unknown; ends: BookingView['status'] };
  what: string;
}

/** Requests valid against each simulator's fixtures (as in test/<provider>.test.ts), with room for any number of bookings. */
function mainPaths(sims: Sims): MainPath[] {
  const chronoEvent = addChronoEvent(sims.chrono.ctx.state, 'gymnase-jean-moulin', {
    slug: 'bench',
    datetime: new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 19).replace('T', ' '),
    duration: 60,
    places: 10_000_000,
    waiting_list_places: 0,
  });
  sims.hotels24.ctx.state.stock[101]!.allotment = 1_000_000_000;
  changeSeat(sims.qtickets.ctx.state, { show_id: 77, seat_id: '1-1;1', quota: 10_000_000 });
  // brusnika: premises like 2004 (free), as many as the run books; agent 501 may book all of them.
  const brusnika = sims.brusnika.ctx.state;
  const template = brusnika.premises.find((p) => p.id === 2004)!;
  for (let i = 0; i < 4 * BOOKINGS + 100; i++) brusnika.premises.push({ ...template, id: 900_000 + i });
  brusnika.users.find((u) => u.id === 501)!.remaining_user_creation_limit = 1_000_000_000;
  let premises = 0;
  return [
    {
      provider: 'oks',
      what: 'held -> complete',
      shape: { before: 2, wait: true, after: 0 },
      request: () => ({ layoutUuid: randomUUID(), phone: '+77070000000', firstName: 'Bench', lastName: 'Mark', reserveDays: 1 }),
      reaches: 'held',
      answer: { action: 'complete', ends: 'completed' },
    },
    {
      provider: 'qtickets',
      what: 'two seats held -> payment',
      shape: { before: 3, wait: true, after: 2 },
      request: () => ({ event_id: 57, show_id: 77, admission: [{ seat_id: '1-1;1', quantity: 2 }] }),
      reaches: 'held',
      answer: { action: 'payment', ends: 'completed' },
    },
    {
      provider: 'hotels24',
      what: 'autoConfirm -> completed',
      shape: { before: 3, wait: false, after: 0 },
      request: () => ({
        arrival_date: '2014-09-10',
        departure_date: '2014-09-11',
        blocks: [{ tariff: '507f1f77bcf86cd799439011', total_cost: 500, quantity: 1 }],
        requisites: { first_name: 'Booker', last_name: 'Da Mega', email: 'mega.booker@hotels24.ua', phone: '0800210017' },
        autoConfirm: true,
      }),
      reaches: 'completed',
    },
    {
      provider: 'chrono',
      what: 'main list -> cancel',
      shape: { before: 1, wait: true, after: 1 },
      request: () => ({
        agenda: 'gymnase-jean-moulin',
        slot: chronoEvent.slug,
        user_external_id: `bench-${randomUUID()}`,
        user_first_name: 'Camille',
        user_last_name: 'Martin',
        count: 1,
        timezone: 'UTC',
      }),
      reaches: 'confirmed',
      answer: { action: 'cancel', body: { reason: 'bench' }, ends: 'cancelled' },
    },
    {
      provider: 'brusnika',
      what: 'premise -> confirmed',
      shape: { before: 4, wait: false, after: 0 },
      request: () => ({
        kind: 'premise',
        premise_id: 900_000 + premises++,
        agent_id: 501,
        client: { fullname: 'Смирнов Алексей Дмитриевич', phone_number: '8 (912) 001-00-01' },
        purchase_option: 'full_payment',
      }),
      reaches: 'confirmed',
    },
  ];
}

async function startSims() {
  return {
    oks: await startOksSimulator({ token: 'bench-oks', pendingMs: 0, processingMs: 0 }),
    qtickets: await startQticketsSimulator({ token: 'bench-qtickets' }),
    // The seed's tariffs and prices apply in September 2014.
    hotels24: await startHotels24Simulator({ token: 'bench-hotels24', now: () => new Date('2014-09-01T09:00:00Z') }),
    chrono: await startChronoSimulator({ token: 'bench-chrono' }),
    brusnika: await startBrusnikaSimulator({ token: 'bench-brusnika', timing: { bookingDecisionMs: 0, visitDecisionMs: 0 } }),
  };
}
type Sims = Awaited<ReturnType<typeof startSims>>;

/** The product seals its payloads as in production: the bench pays for it (the ceiling, Temporal alone, does not). */
const BENCH_PAYLOAD_KEYS = `bench:${randomBytes(32).toString('base64')}`;

/** The environment of the worker and the API: every provider at its simulator, short polls, holds that outlive the run. */
function stackEnv(address: string, sims: Sims, apiPort: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: PRODUCT_QUEUE,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    API_TOKENS: `${TOKEN}:bench:app`,
    API_SETTLE_WAIT: '10s',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    OKS_TASK_POLL_INITIAL: '100ms',
    OKS_TASK_POLL_MAX: '500ms',
    BRUSNIKA_POLL_INITIAL: '100ms',
    BRUSNIKA_POLL_MAX: '500ms',
    PAYLOAD_KEYS: BENCH_PAYLOAD_KEYS,
  };
  for (const [provider, sim] of Object.entries(sims)) {
    const P = provider.toUpperCase();
    env[`${P}_URL`] = sim.url;
    env[`${P}_TOKEN`] = `bench-${provider}`;
    env[`${P}_TIMEOUT`] = '10s';
  }
  return env;
}

/** An answer of the API, read as the bench needs it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of several shapes
type Json = any;

// ---------------------------------------------------------------------------
// Drivers: the same lifecycle through the API, through the client, and for the ceiling

function apiCaller(base: string) {
  return async (method: string, url: string, body?: unknown): Promise<{ status: number; json: Json; ms: number }> => {
    const started = performance.now();
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, ms: performance.now() - started };
  };
}
type ApiCall = ReturnType<typeof apiCaller>;

const statusAt = (view: BookingView, status: string): number => Date.parse(view.timeline.find((e) => e.status === status)?.at ?? view.updatedAt);

/**
 * A booking through the API: POST, GET every POLL_MS until it reaches where a person acts, the answer, and (202)
 * GET until it ends. End to end = the POST + the workflow's own time to that status + the answer's POST: the time
 * the bench takes to notice is left out.
 */
async function viaApi(call: ApiCall, path_: MainPath, i: number): Promise<Sample> {
  const start = await call('POST', '/api/v1/bookings', { provider: path_.provider, request: path_.request(i) });
  if (start.status !== 202) throw new Error(`${path_.provider}: POST answered ${start.status}: ${JSON.stringify(start.json)}`);
  const id = start.json.bookingId as string;
  const view = await pollView(call, id, path_.reaches);
  let e2e = start.ms + statusAt(view, path_.reaches) - Date.parse(view.createdAt);
  if (path_.answer) {
    const answered = await call('POST', `/api/v1/bookings/${id}/${path_.answer.action}`, path_.answer.body ?? {});
    if (answered.status !== 200 && answered.status !== 202) throw new Error(`${path_.provider}: ${path_.answer.action} answered ${answered.status}: ${JSON.stringify(answered.json)}`);
    e2e += answered.ms;
    if (answered.status === 202) {
      const ended = await pollView(call, id, path_.answer.ends);
      e2e += Date.parse(ended.updatedAt) - Date.now();
    }
  }
  return { id, startMs: start.ms, e2eMs: e2e };
}

async function pollView(call: ApiCall, id: string, status: string): Promise<BookingView> {
  for (let n = 0; ; n++) {
    const { json } = await call('GET', `/api/v1/bookings/${id}`);
    const view = json as BookingView;
    if (view.status === status) return view;
    if (['failed', 'cancelled', 'expired', 'completed'].includes(view.status)) {
      throw new Error(`booking ${id} ended ${view.status} before ${status}: ${JSON.stringify(view.error)}`);
    }
    if (n > 60_000 / POLL_MS) throw new Error(`booking ${id} not ${status} within 60 s (${view.status})`);
    await delay(POLL_MS);
  }
}

/** oks through the Temporal client: the same start, status query, `completeBooking` update as the API sends, without the API. */
async function oksViaClient(client: Client, timing: Record<string, number>, i: number): Promise<Sample> {
  const bookingId = randomUUID();
  const t0 = performance.now();
  const handle = await client.workflow.start('oksLayoutBooking', {
    taskQueue: PRODUCT_QUEUE,
    workflowId: workflowIdFor(bookingId),
    args: [{ bookingId, client: 'bench', request: BookLayoutRequest.parse(mainPathRequests.oks!(i)), timing }],
  });
  const startMs = performance.now() - t0;
  let view: BookingView;
  for (;;) {
    view = await handle.query(statusQuery);
    if (view.status === 'held') break;
    await delay(POLL_MS);
  }
  const t1 = performance.now();
  await handle.executeUpdate(complete.update);
  const e2e = startMs + statusAt(view, 'held') - Date.parse(view.createdAt) + (performance.now() - t1);
  return { id: handle.workflowId, startMs, e2eMs: e2e };
}
const mainPathRequests: Partial<Record<Provider, (i: number) => unknown>> = {};

/** The ceiling: the do-nothing workflow of a shape, started, polled and answered like a booking. */
async function ceilingViaClient(client: Client, shape: CeilingShape, answerBy: 'signal' | 'update'): Promise<Sample> {
  const id = `ceiling-${randomUUID()}`;
  const t0 = performance.now();
  const handle = await client.workflow.start('ceilingBooking', { taskQueue: CEILING_QUEUE, workflowId: id, args: [shape] });
  const startMs = performance.now() - t0;
  let view: CeilingView;
  const target = shape.wait ? 'held' : 'completed';
  for (;;) {
    view = await handle.query(ceilingStatus);
    if (view.status === target) break;
    await delay(POLL_MS);
  }
  let e2e = startMs + view.at[target]! - view.at.processing!;
  if (shape.wait) {
    const t1 = performance.now();
    if (answerBy === 'update') await handle.executeUpdate('completeBooking');
    else {
      await handle.signal(ceilingComplete);
      await handle.result();
    }
    e2e += performance.now() - t1;
  }
  return { id, startMs, e2eMs: e2e };
}

// ---------------------------------------------------------------------------
// The run

interface Row {
  part: string;
  measure: string;
  value: number;
  unit: string;
  target?: { limit: number; kind: 'max' | 'min' };
}

async function main(): Promise<void> {
  const began = new Date();
  const load = os.loadavg();
  const cli = (await ensureTemporalCli()).path;
  if (!cli) throw new Error('the bench runs the Temporal CLI itself: set TEMPORAL_CLI, or let scripts/temporal-cli.ts provision it (pip)');
  fs.mkdirSync(resultsDir, { recursive: true });
  const rows: Row[] = [];
  const row = (r: Row): void => {
    rows.push(r);
    say(formatRow(r));
  };
  const extra: Record<string, unknown> = {};
  say(`bench: ${BOOKINGS} bookings a run, ${IN_FLIGHT} in flight, polls every ${POLL_MS} ms, ${OPEN} open; load average ${load.map((l) => l.toFixed(2)).join(' ')}`);

  const sims = await startSims();
  const paths = mainPaths(sims);
  for (const p of paths) mainPathRequests[p.provider] = p.request;
  const server = await startServer(cli, 'memory');
  const apiPort = await freePort();
  const env = stackEnv(server.address, sims, apiPort);
  if (process.env.BENCH_PREBUILT_BUNDLE === '1') {
    // As a deployment would: the product's bundle built before the worker starts, not by webpack inside it.
    const bundle = await bundleWorkflowCode({ ...BOOKING_BUNDLE, logger: quietLogger });
    const file = path.join(resultsDir, 'workflow-bundle.js');
    fs.writeFileSync(file, bundle.code);
    env.BENCH_BUNDLE = file;
  }
  const [productWorker, ceilingWorker] = await Promise.all([startWorker('product', env), startWorker('ceiling', { ...env, TEMPORAL_TASK_QUEUE: CEILING_QUEUE })]);
  const apiProf = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(resultsDir, 'profiles', 'api')}`] : [];
  const api = spawnChild('api', process.execPath, [...apiProf, '--import', 'tsx', 'api/main.ts'], env);
  Object.assign(accounted, { server: server.proc, worker: productWorker, ceiling: ceilingWorker, api });
  row({ part: 'open', measure: 'worker RSS at start', value: rssMiB(productWorker), unit: 'MiB' });
  const base = `http://127.0.0.1:${apiPort}`;
  await until('the API', async () => (await fetch(`${base}/health`)).ok);
  const call = apiCaller(base);
  const connection = await Connection.connect({ address: server.address });
  // The ceiling's workflows take plain payloads; the product's are sealed.
  const client = new Client({ connection });
  const sealedClient = new Client({ connection, dataConverter: bookingDataConverter(new SealingCodec(PayloadKeys.parse(BENCH_PAYLOAD_KEYS))) });

  // Warm-up: the bundles, the sticky caches, the HTTP pools.
  await closedLoop('warm-up', Math.min(20, BOOKINGS), (i) => viaApi(call, paths[0]!, i));
  await closedLoop('warm-up', Math.min(20, BOOKINGS), () => ceilingViaClient(client, paths[0]!.shape, 'signal'));

  const loads: Record<string, Load> = {};
  const historyIds: Partial<Record<Provider, string>> = {};
  for (const p of paths) {
    if (!wanted(p.provider)) continue;
    const ceiling = await closedLoop(`${p.provider} ceiling`, BOOKINGS, () => ceilingViaClient(client, p.shape, 'signal'));
    const viaTheApi = await closedLoop(`${p.provider} API`, BOOKINGS, (i) => viaApi(call, p, i));
    loads[ceiling.name] = ceiling;
    loads[viaTheApi.name] = viaTheApi;
    historyIds[p.provider] = workflowIdFor(viaTheApi.ids[viaTheApi.ids.length - 1]!);
    const shape = `${p.shape.before} act${p.shape.wait ? ' + wait' : ''}${p.shape.after ? ` + ${p.shape.after} act` : ''}`;
    row({ part: p.provider, measure: `ceiling (${shape})`, value: ceiling.perSecond, unit: '/s' });
    row({ part: p.provider, measure: `through the API (${p.what})`, value: viaTheApi.perSecond, unit: '/s' });
    row({ part: p.provider, measure: 'API / ceiling', value: viaTheApi.perSecond / ceiling.perSecond, unit: '', target: { limit: p.provider === 'oks' ? 0.6 : 0.5, kind: 'min' } });
    // The same ratio by CPU (server, workers, API; not the bench's load and simulators): what an idle machine would give.
    const [ceilingCpu, apiCpu] = [orchestratorCpu(ceiling), orchestratorCpu(viaTheApi)];
    row({ part: p.provider, measure: `API / ceiling by CPU (${ceilingCpu} / ${apiCpu} ms a booking)`, value: ceilingCpu / apiCpu, unit: '' });
    if (p.provider === 'oks') {
      const timing = oksTimingFrom(env);
      const direct = await closedLoop('oks client', BOOKINGS, (i) => oksViaClient(sealedClient, timing, i));
      loads[direct.name] = direct;
      row({ part: 'oks', measure: 'through the Temporal client', value: direct.perSecond, unit: '/s' });
      row({ part: 'oks', measure: 'client / ceiling', value: direct.perSecond / ceiling.perSecond, unit: '' });
      const byUpdate = await closedLoop('oks ceiling by update', BOOKINGS, () => ceilingViaClient(client, p.shape, 'update'));
      loads[byUpdate.name] = byUpdate;
      row({ part: 'oks', measure: 'ceiling, answered by update', value: byUpdate.perSecond, unit: '/s' });
      const withUpserts = await closedLoop('oks ceiling with upserts', BOOKINGS, () => ceilingViaClient(client, { ...p.shape, upserts: true }, 'signal'));
      loads[withUpserts.name] = withUpserts;
      row({ part: 'oks', measure: 'ceiling, a SA + memo upsert per step', value: withUpserts.perSecond, unit: '/s' });
    }
    row({ part: p.provider, measure: 'API start p50 / p99 (peak)', value: viaTheApi.startP50, unit: `/ ${viaTheApi.startP99.toFixed(0)} ms` });
    const half = await openLoop(`${p.provider} API half rate`, Math.max(20, Math.round(BOOKINGS / 2)), viaTheApi.perSecond / 2, (i) => viaApi(call, p, i));
    loads[half.name] = half;
    const providerMs = await providerTime(sims, p, half.bookings, call);
    row({ part: p.provider, measure: `end to end p50 / p99 at ${(viaTheApi.perSecond / 2).toFixed(1)}/s`, value: half.e2eP50, unit: `/ ${half.e2eP99.toFixed(0)} ms` });
    row({ part: p.provider, measure: 'orchestrator share of e2e p50', value: (half.e2eP50 - providerMs) / half.e2eP50, unit: `(provider ${providerMs.toFixed(1)} ms)` });
  }

  // History events of each main path, from this run's bookings.
  const histories: Record<string, Record<string, number>> = {};
  for (const [provider, id] of Object.entries(historyIds)) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const events = (JSON.parse(historyToJSON(history)) as { events: { eventType: string }[] }).events;
    const counts: Record<string, number> = {};
    for (const event of events) counts[event.eventType] = (counts[event.eventType] ?? 0) + 1;
    histories[provider] = counts;
    const total = events.length;
    const upserts = (counts.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES ?? 0) + (counts.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED ?? 0);
    row({ part: provider, measure: `history events (${upserts} upserts)`, value: total, unit: 'events', target: { limit: 40, kind: 'max' } });
  }
  extra.histories = histories;

  // Open bookings: oks held, waiting for a person.
  if (wanted('open') && OPEN > 0) {
    row({ part: 'open', measure: 'worker RSS before', value: rssMiB(productWorker), unit: 'MiB' });
    row({ part: 'open', measure: 'server RSS before', value: rssMiB(server.proc), unit: 'MiB' });
    const oks = paths[0]!;
    const t0 = performance.now();
    const ids = await pool(
      Array.from({ length: OPEN }, (_, i) => i),
      IN_FLIGHT,
      async (i) => (await call('POST', '/api/v1/bookings', { provider: 'oks', request: oks.request(i) })).json.bookingId as string,
    );
    const startedMs = performance.now() - t0;
    await until(`${OPEN} bookings held`, async () => {
      const list = await call('GET', '/api/v1/bookings?provider=oks&status=processing&limit=1');
      const pending = await call('GET', '/api/v1/bookings?provider=oks&status=pending&limit=1');
      return list.json.bookings.length === 0 && pending.json.bookings.length === 0;
    }, 30 * 60_000);
    const heldMs = performance.now() - t0;
    await delay(2_000);
    const sample = Array.from({ length: Math.min(500, OPEN) }, () => ids[Math.floor(Math.random() * ids.length)]!);
    const gets = await pool(sample, 4, (id) => call('GET', `/api/v1/bookings/${id}`));
    const lists = await pool(Array.from({ length: 50 }), 2, () => call('GET', '/api/v1/bookings?provider=oks&status=held&limit=200'));
    row({ part: 'open', measure: `${OPEN} open: time to start (POST)`, value: startedMs / 1000, unit: 's' });
    row({ part: 'open', measure: `${OPEN} open: time until all held`, value: heldMs / 1000, unit: 's' });
    row({ part: 'open', measure: 'worker RSS', value: rssMiB(productWorker), unit: 'MiB', target: { limit: 1024, kind: 'max' } });
    row({ part: 'open', measure: 'server RSS', value: rssMiB(server.proc), unit: 'MiB' });
    row({ part: 'open', measure: 'API RSS', value: rssMiB(api), unit: 'MiB' });
    row({ part: 'open', measure: 'GET /bookings/:id p50', value: percentile(gets.map((g) => g.ms), 50), unit: 'ms' });
    row({ part: 'open', measure: 'GET /bookings/:id p99', value: percentile(gets.map((g) => g.ms), 99), unit: 'ms', target: { limit: 50, kind: 'max' } });
    row({ part: 'open', measure: 'list (200 held) p99', value: percentile(lists.map((g) => g.ms), 99), unit: 'ms', target: { limit: 200, kind: 'max' } });
    extra.openGetStatuses = countBy(gets.map((g) => g.status));
  }

  await connection.close();
  for (const key of Object.keys(accounted)) delete accounted[key];
  await stopChild(api);
  await Promise.all([stopChild(productWorker), stopChild(ceilingWorker)]);
  await stopChild(server.proc);

  // The dev server as `npm start` runs it (SQLite file) against an in-memory one, the ceiling's oks shape on each.
  if (wanted('persistence')) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-temporal-'));
    const rates: Partial<Record<ServerKind, number>> = {};
    for (const kind of ['memory', 'file', 'file+wal'] as const) {
      const db = path.join(dataDir, `${kind.replace('+', '-')}.db`);
      const s = await startServer(cli, kind, db);
      const w = await startWorker('ceiling', { ...env, TEMPORAL_ADDRESS: s.address, TEMPORAL_TASK_QUEUE: CEILING_QUEUE });
      Object.assign(accounted, { server: s.proc, ceiling: w });
      const conn = await Connection.connect({ address: s.address });
      const c = new Client({ connection: conn });
      await closedLoop('warm-up', 20, () => ceilingViaClient(c, paths[0]!.shape, 'signal'));
      const l = await closedLoop(`ceiling on ${kind}`, BOOKINGS, () => ceilingViaClient(c, paths[0]!.shape, 'signal'));
      rates[kind] = l.perSecond;
      row({ part: 'server', measure: `oks ceiling on ${kind === 'memory' ? 'in-memory' : kind === 'file' ? 'SQLite file (npm start)' : 'SQLite file + WAL pragmas'}`, value: l.perSecond, unit: '/s' });
      if (kind === 'file+wal') {
        const survived = await killNineCheck(cli, s, db, c, paths[0]!.shape);
        row({ part: 'server', measure: `bookings held across a kill -9 (${survived.of})`, value: survived.completed, unit: 'completed', target: { limit: survived.of, kind: 'min' } });
        await conn.close();
        await stopChild(w);
        await stopChild(survived.server.proc);
        await stopChild(survived.worker);
      } else {
        await conn.close();
        await stopChild(w);
        await stopChild(s.proc);
      }
    }
    row({ part: 'server', measure: 'SQLite file / in-memory', value: rates.file! / rates.memory!, unit: '' });
    row({ part: 'server', measure: 'SQLite file + WAL / in-memory', value: rates['file+wal']! / rates.memory!, unit: '', target: { limit: 0.9, kind: 'min' } });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  await Promise.all(Object.values(sims).map((sim) => sim.close()));

  const machine = { nproc: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverageAtStart: load, loadAverageAtEnd: os.loadavg() };
  say(`\nmachine: ${machine.nproc} cores, ${machine.memoryGiB} GiB, node ${machine.node}; load average at start ${load.map((l) => l.toFixed(2)).join(' ')}, at end ${machine.loadAverageAtEnd.map((l) => l.toFixed(2)).join(' ')}`);
  say(`\n${'part'.padEnd(9)} ${'measure'.padEnd(48)} ${'value'.padStart(9)} ${'unit'.padEnd(26)} target`);
  for (const r of rows) say(formatRow(r));
  const file = path.join(resultsDir, 'latest.json');
  const summary = {
    began: began.toISOString(),
    settings: { bookings: BOOKINGS, inFlight: IN_FLIGHT, open: OPEN, pollMs: POLL_MS, workerOptions: process.env.BENCH_WORKER_OPTIONS ?? '{}' },
    machine,
    rows: rows.map((r) => ({ ...r, ok: ok(r) })),
    loads: Object.fromEntries(Object.entries(loads).map(([k, { ids: _ids, ...l }]) => [k, l])),
    ...extra,
  };
  fs.writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  fs.writeFileSync(path.join(resultsDir, `bench-${began.toISOString().replace(/[:.]/g, '-')}.json`), `${JSON.stringify(summary, null, 2)}\n`);
  say(`\nwritten ${path.relative(projectRoot, file)}`);
  process.exit(rows.every((r) => ok(r) !== false) ? 0 : 1);
}

/** CPU ms a booking spent by Temporal's server and the worker of the load (and the API when it served it). */
function orchestratorCpu(load: Load): number {
  const cpu = load.cpuPerBooking ?? {};
  return load.name.includes('ceiling') ? (cpu.server ?? 0) + (cpu.ceiling ?? 0) : (cpu.server ?? 0) + (cpu.worker ?? 0) + (cpu.api ?? 0);
}

function ok(r: Row): boolean | undefined {
  if (!r.target) return undefined;
  return r.target.kind === 'max' ? r.value <= r.target.limit : r.value >= r.target.limit;
}

function formatRow(r: Row): string {
  const value = r.value.toFixed(Math.abs(r.value) < 10 ? 2 : 1);
  const target = r.target ? `${r.target.kind === 'max' ? '<=' : '>='} ${r.target.limit} ${ok(r) ? 'ok' : 'MISSED'}` : '';
  return `${r.part.padEnd(9)} ${r.measure.padEnd(48)} ${value.padStart(9)} ${r.unit.padEnd(26)} ${target}`;
}

function countBy(values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/**
 * The provider's time in a booking: its calls per booking (the simulator's own record) times one call's round trip
 * to the simulator (measured here; the simulators answer at once).
 */
async function providerTime(sims: Sims, p: MainPath, bookings: number, _call: ApiCall): Promise<number> {
  const sim = sims[p.provider];
  const calls = sim.ctx.calls.length;
  sim.ctx.calls.length = 0;
  const trips: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await (await fetch(`${sim.url}/__bench_no_such_route`)).text();
    trips.push(performance.now() - t0);
  }
  return (calls / bookings) * percentile(trips, 50);
}

/** Holds ceiling bookings, kills the server with SIGKILL, starts it again on the same file, and completes them. */
async function killNineCheck(cli: string, s: TemporalServer, db: string, c: Client, shape: CeilingShape) {
  const of = 20;
  const ids = await Promise.all(
    Array.from({ length: of }, async () => {
      const id = `ceiling-kill-${randomUUID()}`;
      await c.workflow.start('ceilingBooking', { taskQueue: CEILING_QUEUE, workflowId: id, args: [shape] });
      return id;
    }),
  );
  await until('the kill -9 bookings held', async () => (await Promise.all(ids.map((id) => c.workflow.getHandle(id).query(ceilingStatus)))).every((v) => v.status === 'held'));
  s.proc.child.kill('SIGKILL');
  await new Promise((resolve) => s.proc.child.once('exit', resolve));
  const port = Number(s.address.split(':')[1]);
  const server = await startServer(cli, 'file+wal', db, port);
  const worker = await startWorker('ceiling', { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: CEILING_QUEUE });
  const conn = await Connection.connect({ address: server.address });
  const client = new Client({ connection: conn });
  let completed = 0;
  await Promise.all(
    ids.map(async (id) => {
      try {
        const handle = client.workflow.getHandle(id);
        await handle.signal(ceilingComplete);
        const view = (await handle.result()) as CeilingView;
        if (view.status === 'completed') completed++;
      } catch (err) {
        process.stderr.write(`kill -9: ${id}: ${String(err)}\n`);
      }
    }),
  );
  await conn.close();
  return { of, completed, server, worker };
}

async function shutdown(code: number): Promise<never> {
  await Promise.all(children.map((p) => stopChild(p).catch(() => undefined)));
  process.exit(code);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  await shutdown(1);
});
