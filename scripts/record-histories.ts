/**
 * Records workflow histories for the replay tests (test/replay.test.ts).
 * Run it when a workflow gains a new path worth guarding, not after every
 * change: the point of the recorded histories is that old ones must still
 * replay against new code (changes that alter history need `patched()`).
 *
 *   npx tsx scripts/record-histories.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { startOksSimulator } from '../simulators/oks';
import { OKS_BOOKED_LAYOUTS } from '../simulators/oks';
import { cancelUpdate, statusQuery, workflowIdFor } from '../workflows/booking';
import { completeUpdate } from '../workflows/oks';
import { bookingSearchAttributeKeys } from '../workflows/search-attributes';
import { createBookingWorker } from '../worker/create';
import { ensureTemporalCli, projectRoot } from './temporal-cli';

const outDir = path.join(projectRoot, 'test', 'histories');

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cli = await ensureTemporalCli();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli.path ? { executable: { type: 'existing-path' as const, path: cli.path } } : {}),
      searchAttributes: [...bookingSearchAttributeKeys],
    },
  });
  const sim = await startOksSimulator({ token: 'record', pendingMs: 100, processingMs: 500 });
  const taskQueue = 'record-histories';
  const worker = await createBookingWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    logger: pino({ level: 'silent' }),
    providers: { oks: { provider: 'oks', baseUrl: sim.url, token: 'record', timeoutMs: 2_000 } },
  });
  const timing = { taskPollInitialMs: 100, taskPollMaxMs: 200, taskDeadlineMs: 10_000, holdTermMs: 1_500, releaseEscalationMs: 5_000 };
  const request = (layoutUuid: string = randomUUID()) => ({ layoutUuid, phone: '+77070000000', firstName: 'A', lastName: 'B', reserveDays: 1 });

  const scenarios: Record<string, (workflowId: string) => Promise<void>> = {
    completed: async (workflowId) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await waitFor(async () => (await handle.query(statusQuery)).status === 'held');
      await handle.executeUpdate(completeUpdate);
    },
    'cancelled-while-held': async (workflowId) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await waitFor(async () => (await handle.query(statusQuery)).status === 'held');
      await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'recorded' }] });
    },
    expired: async () => undefined,
    failed: async () => undefined,
  };

  await worker.runUntil(async () => {
    for (const [name, drive] of Object.entries(scenarios)) {
      const bookingId = randomUUID();
      const workflowId = workflowIdFor(bookingId);
      const handle = await env.client.workflow.start('oksLayoutBooking', {
        taskQueue,
        workflowId,
        args: [{ bookingId, client: 'recorder', request: request(name === 'failed' ? OKS_BOOKED_LAYOUTS[0] : undefined), timing }],
      });
      await drive(workflowId);
      await handle.result();
      const history = await handle.fetchHistory();
      const file = path.join(outDir, `oksLayoutBooking-${name}.json`);
      fs.writeFileSync(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
      process.stdout.write(`recorded ${path.relative(projectRoot, file)}\n`);
    }
  });
  await sim.close();
  await env.teardown();
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('timed out');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
