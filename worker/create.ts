/** The booking worker: every provider's workflows and activities on one task queue. */
import { NativeConnection, Worker, type WorkerOptions, bundleWorkflowCode } from '@temporalio/worker';
import { temporalLoggerFrom } from './logging';
import type { Logger } from 'pino';
import { type ProviderEndpoints, activitiesFor } from '../config/providers';

export interface BookingWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  logger: Logger;
  providers: ProviderEndpoints;
  /** A prebuilt bundle (tests build one for the whole run); otherwise workflows/ is bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** How long running activities get to finish on shutdown. */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
}

export async function createBookingWorker(options: BookingWorkerOptions): Promise<Worker> {
  // The bundler's report (every module it packed) is noise in the worker's log: only its warnings are kept.
  const workflowBundle =
    options.workflowBundle ??
    (await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: temporalLoggerFrom(options.logger, 'WARN') }));
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle,
    activities: activitiesFor(options.providers, options.logger),
    shutdownGraceTime: options.shutdownGraceTime ?? '10 seconds',
  });
}
