/** The booking worker: every provider's workflows and activities on one task queue. */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, type ActivityDeps } from '../activities';

export interface BookingWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  logger: Logger;
  providers: ActivityDeps['providers'];
  /** A prebuilt bundle (tests build one for the whole run); otherwise workflows/ is bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** How long running activities get to finish on shutdown. */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
}

export function createBookingWorker(options: BookingWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({ logger: options.logger, providers: options.providers }),
    shutdownGraceTime: options.shutdownGraceTime ?? '10 seconds',
  });
}
