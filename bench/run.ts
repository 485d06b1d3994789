/**
 * `npm run bench`: oks bookings through the whole stack (API over HTTP, a real
 * Temporal dev server, the worker, the oks simulator over HTTP), measured
 * against targets. Prints a table, writes bench/results/<time>.json, and exits
 * non-zero when a target is missed.
 *
 * Two scenarios, on one machine that also runs the Temporal server:
 * - steady: apps booking at a normal pace (5 at a time): latency targets;
 * - burst: 20 at a time until the machine is saturated: capacity, memory, and
 *   that nothing is lost or left held.
 *
 *   BENCH_STEADY=100 BENCH_BURST=200 npm run bench
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { createApp } from '../api/app';
import type { Caller } from '../api/auth';
import { oksBinding } from '../api/providers/oks';
import { readOksState, startOksSimulator } from '../simulators/oks';
import type { BookingView } from '../workflows/booking';
import { bookingSearchAttributeKeys } from '../workflows/search-attributes';
import { createBookingWorker } from '../worker/create';
import { ensureTemporalCli, projectRoot } from '../scripts/temporal-cli';

const STEADY = { name: 'steady', bookings: Number(process.env.BENCH_STEADY ?? 100), concurrency: 5 };
const BURST = { name: 'burst', bookings: Number(process.env.BENCH_BURST ?? 200), concurrency: 20 };
const TOKEN = 'bench-app-token';

interface Target {
  name: string;
  value: number;
  unit: string;
  limit: number;
  /** Whether the value must stay below (max) or above (min) the limit. */
  kind: 'max' | 'min';
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const cli = await ensureTemporalCli();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli.path ? { executable: { type: 'existing-path' as const, path: cli.path } } : {}),
      searchAttributes: [...bookingSearchAttributeKeys],
      extraArgs: ['--log-level', 'error'],
    },
  });
  const sim = await startOksSimulator({ token: 'bench-oks', pendingMs: 50, processingMs: 300 });
  const logger = pino({ level: 'silent' });
  const taskQueue = 'bench';
  const worker = await createBookingWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    logger,
    providers: { oks: { provider: 'oks', baseUrl: sim.url, token: 'bench-oks', timeoutMs: 5_000 } },
  });
  const app = createApp({
    client: env.client,
    taskQueue,
    tokens: new Map<string, Caller>([[TOKEN, { client: 'bench', role: 'app' }]]),
    providers: { oks: oksBinding({ taskPollInitialMs: 100, taskPollMaxMs: 400, holdTermMs: 10 * 60_000 }) },
    logger,
    settleWaitMs: 5_000,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (method: string, url: string, body?: unknown): Promise<{ status: number; json: unknown; ms: number }> => {
    const started = performance.now();
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, ms: performance.now() - started };
  };

  const run = async ({ bookings, concurrency }: { bookings: number; concurrency: number }) => {
    const layouts: string[] = Array.from({ length: bookings }, () => randomUUID());
    const startWall = performance.now();
    // Each client books, then polls its booking now and then until it is held, then books the next:
    // at most `concurrency` bookings in flight. The time to held comes from the workflow's own timeline.
    const booked = await pool(layouts, concurrency, async (layoutUuid) => {
      const start = await call('POST', '/api/v1/bookings', {
        provider: 'oks',
        request: { layoutUuid, phone: '+77070000000', firstName: 'Bench', lastName: 'Mark' },
      });
      const { bookingId } = start.json as { bookingId: string };
      for (;;) {
        const view = (await call('GET', `/api/v1/bookings/${bookingId}`)).json as BookingView;
        if (view.status !== 'pending' && view.status !== 'processing') return { start, view };
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    });
    const starts = booked.map((b) => b.start);
    const views = booked.map((b) => b.view);
    const failedStarts = starts.filter((x) => x.status !== 202).length;
    const ids = views.map((v) => v.bookingId);
    const allHeldWall = performance.now() - startWall;
    const reads = await pool(ids, concurrency, (id) => call('GET', `/api/v1/bookings/${id}`));
    const held = views.filter((view) => view.status === 'held');
    const toHeld = held.map((view) => Date.parse(view.timeline.find((e) => e.status === 'held')!.at) - Date.parse(view.createdAt));
    const memoryPeak = process.memoryUsage();
    // Where the time goes: from start to the book request answered, and from there to held.
    const at = (view: BookingView, stage: string) => Date.parse(view.timeline.find((e) => e.stage === stage)?.at ?? view.createdAt);
    const phases = {
      toTaskStarted: held.map((v) => at(v, 'task_processing') - Date.parse(v.createdAt)),
      taskToHeld: held.map((v) => at(v, 'reserved') - at(v, 'task_processing')),
    };

    const cancels = await pool(ids, concurrency, (id) => call('POST', `/api/v1/bookings/${id}/cancel`, {}));
    const stillBooked = readOksState(sim).units.filter((u) => layouts.includes(u.layoutUuid) && u.status === 'booked').length;
    return { starts, failedStarts, reads, held, toHeld, phases, allHeldWall, cancels, stillBooked, memoryPeak };
  };

  const memoryBefore = process.memoryUsage();
  const [steady, burst] = await worker.runUntil(async () => [await run(STEADY), await run(BURST)]);

  const p = percentile;
  const targets: Target[] = [
    { name: 'steady: POST /bookings p95', value: p(steady.starts.map((x) => x.ms), 95), unit: 'ms', limit: 250, kind: 'max' },
    { name: 'steady: GET /bookings/:id p95', value: p(steady.reads.map((x) => x.ms), 95), unit: 'ms', limit: 150, kind: 'max' },
    { name: 'steady: start to held p50 (oks task 350 ms)', value: p(steady.toHeld, 50), unit: 'ms', limit: 1_000, kind: 'max' },
    { name: 'steady: start to held p95', value: p(steady.toHeld, 95), unit: 'ms', limit: 1_500, kind: 'max' },
    { name: 'steady: cancel p95 (unbook included)', value: p(steady.cancels.map((x) => x.ms), 95), unit: 'ms', limit: 1_000, kind: 'max' },
    { name: 'burst: bookings held', value: burst.held.length, unit: `of ${BURST.bookings}`, limit: BURST.bookings, kind: 'min' },
    { name: 'burst: throughput to held', value: (burst.held.length / burst.allHeldWall) * 1000, unit: 'bookings/s', limit: 15, kind: 'min' },
    { name: 'burst: POST /bookings p95', value: p(burst.starts.map((x) => x.ms), 95), unit: 'ms', limit: 500, kind: 'max' },
    { name: 'all: units left booked after cancel', value: steady.stillBooked + burst.stillBooked, unit: 'units', limit: 0, kind: 'max' },
    { name: 'all: RSS (API + worker + simulator)', value: burst.memoryPeak.rss / 2 ** 20, unit: 'MiB', limit: 1_200, kind: 'max' },
  ];
  const rows = targets.map((t) => ({ ...t, ok: t.kind === 'max' ? t.value <= t.limit : t.value >= t.limit }));
  process.stdout.write(`\noks bookings: steady ${STEADY.bookings} (5 at a time), burst ${BURST.bookings} (20 at a time)\n\n`);
  process.stdout.write(`${'measure'.padEnd(42)} ${'value'.padStart(10)}  ${'target'.padEnd(16)} result\n`);
  for (const r of rows) {
    const target = `${r.kind === 'max' ? '<=' : '>='} ${r.limit} ${r.unit}`;
    process.stdout.write(`${r.name.padEnd(42)} ${r.value.toFixed(r.value < 10 ? 2 : 0).padStart(10)}  ${target.padEnd(16)} ${r.ok ? 'ok' : 'MISSED'}\n`);
  }
  for (const [name, r] of [['steady', steady], ['burst', burst]] as const) {
    process.stdout.write(
      `${name}: time to held (p50 / p95 ms): start to oks task started ${p(r.phases.toTaskStarted, 50)} / ${p(r.phases.toTaskStarted, 95)}, ` +
        `task started to held ${p(r.phases.taskToHeld, 50)} / ${p(r.phases.taskToHeld, 95)}\n`,
    );
  }
  const outDir = path.join(projectRoot, 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({ scenarios: [STEADY, BURST], memoryBefore, memoryPeak: burst.memoryPeak, failedStarts: steady.failedStarts + burst.failedStarts, targets: rows }, null, 2),
  );
  process.stdout.write(`\nwritten ${path.relative(projectRoot, file)}\n`);

  server.closeAllConnections();
  server.close();
  await sim.close();
  await env.teardown();
  process.exit(rows.every((r) => r.ok) ? 0 : 1);
}

async function pool<T, R>(items: T[], concurrency: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        out[index] = await run(items[index]!);
      }
    }),
  );
  return out;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
