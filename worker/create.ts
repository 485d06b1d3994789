/** The booking worker: every provider's workflows and activities on one task queue. */
import { NativeConnection, Worker, type WorkerOptions, bundleWorkflowCode } from '@temporalio/worker';
import { temporalLoggerFrom } from './logging';
import type { Logger } from 'pino';
import { FAILURE_CONVERTER_PATH, bookingDataConverter } from '../common/data-converter';
import { type PayloadKey, SealingCodec } from '../common/payload-codec';
import { type ProviderEndpoints, activitiesFor } from '../config/providers';

/**
 * The worker's settings chosen by `npm run bench` (README, "Worker settings"), shared with the bench's workers.
 * A cached booking costs about 0.38 MiB (every workflow evaluates its own copy of the bundle), plus the garbage of
 * the bookings evicted meanwhile: with 10,000 open bookings 1,300 came to 1,064 MiB, 1,500 to 1,078 (the SDK's
 * default, 600 a GiB of heap, is ~2,300 here; 4.6 GiB with zod in the bundle). An evicted booking is replayed on its
 * next task or query. The other options keep the SDK's defaults: measured, they
 * were not the limit (the workflow thread is; see BENCHMARKS.md).
 */
export const BOOKING_WORKER_TUNING = {
  maxCachedWorkflows: 1_300,
} as const satisfies Partial<WorkerOptions>;

/** What every bundle of the booking workflows is built from (the worker, the tests' one bundle, the bench). */
export const BOOKING_BUNDLE = {
  workflowsPath: require.resolve('../workflows'),
  failureConverterPath: FAILURE_CONVERTER_PATH,
  // Every activity a booking schedules gets its summary (the Temporal UI's timeline).
  workflowInterceptorModules: [require.resolve('../workflows/step-summaries')],
};

export interface BookingWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  logger: Logger;
  providers: ProviderEndpoints;
  /** The payload keys (PAYLOAD_KEYS): the first seals, every one opens. */
  payloadKeys: readonly PayloadKey[];
  /** A prebuilt bundle (tests build one for the whole run); otherwise workflows/ is bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** How long running activities get to finish on shutdown. */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
}

export async function createBookingWorker(options: BookingWorkerOptions): Promise<Worker> {
  // The bundler's report (every module it packed) is noise in the worker's log: only its warnings are kept.
  const workflowBundle =
    options.workflowBundle ??
    (await bundleWorkflowCode({ ...BOOKING_BUNDLE, logger: temporalLoggerFrom(options.logger, 'WARN') }));
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle,
    dataConverter: bookingDataConverter(new SealingCodec(options.payloadKeys)),
    activities: activitiesFor(options.providers, options.logger),
    shutdownGraceTime: options.shutdownGraceTime ?? '10 seconds',
    ...BOOKING_WORKER_TUNING,
  });
}
