/**
 * A worker process of the bench: `product` runs the booking worker as
 * worker/create.ts builds it (the product's bundle, every provider's
 * activities from the environment); `ceiling` runs bench/ceiling-workflows.ts,
 * bundled here, with one do-nothing activity. Both take the same worker
 * options: the product's (BOOKING_WORKER_TUNING), then BENCH_WORKER_OPTIONS
 * (JSON, e.g. {"maxCachedWorkflows":2000}), so a change of settings can be
 * measured without touching the product; BENCH_WORKFLOWS bundles another module of the product's workflows,
 * BENCH_BUNDLE runs a bundle built beforehand (BENCH_PREBUILT_BUNDLE=1 in run.ts).
 * Prints `ready` once polling.
 */
import path from 'node:path';
import { NativeConnection, Runtime, DefaultLogger, Worker, type WorkerOptions, bundleWorkflowCode } from '@temporalio/worker';
import pino from 'pino';
import { workerEndpointsFrom, activitiesFor } from '../config/providers';
import { BOOKING_BUNDLE, BOOKING_WORKER_TUNING } from '../worker/create';
import { bookingDataConverter } from '../common/data-converter';
import { SealingCodec } from '../common/payload-codec';
import { PayloadKeys } from '../config/env';

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode !== 'product' && mode !== 'ceiling') throw new Error('usage: worker.ts product|ceiling');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const logger = pino({ level: 'silent' });
  const extra: Partial<WorkerOptions> = { ...BOOKING_WORKER_TUNING, ...(JSON.parse(process.env.BENCH_WORKER_OPTIONS || '{}') as Partial<WorkerOptions>) };
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const worker =
    mode === 'product'
      ? await Worker.create({
          connection,
          namespace: 'default',
          taskQueue: process.env.TEMPORAL_TASK_QUEUE!,
          // BENCH_BUNDLE: a bundle built beforehand (as the tests do), instead of webpack in the worker at start.
          workflowBundle: process.env.BENCH_BUNDLE
            ? { codePath: process.env.BENCH_BUNDLE }
            : await bundleWorkflowCode({
                // BENCH_WORKFLOWS: another module of the product's workflows (e.g. bench/oks-workflows.ts), to measure a bundle change.
                ...BOOKING_BUNDLE,
                ...(process.env.BENCH_WORKFLOWS ? { workflowsPath: path.resolve(process.env.BENCH_WORKFLOWS) } : {}),
                logger: quiet,
              }),
          dataConverter: bookingDataConverter(new SealingCodec(PayloadKeys.parse(process.env.PAYLOAD_KEYS))),
          activities: activitiesFor(workerEndpointsFrom(process.env), logger),
          shutdownGraceTime: '2 seconds',
          ...extra,
        })
      : await Worker.create({
          connection,
          namespace: 'default',
          taskQueue: process.env.TEMPORAL_TASK_QUEUE!,
          workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'ceiling-workflows.ts'), logger: quiet }),
          activities: { benchNoop: async (step: number) => step },
          shutdownGraceTime: '2 seconds',
          ...extra,
        });
  process.stdout.write('ready\n');
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
