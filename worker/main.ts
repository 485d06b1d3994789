/**
 * Worker start-up: configuration, telemetry, the worker. SIGINT/SIGTERM stop it
 * gracefully (the SDK's Runtime handles the signals): running activities get the
 * grace time to finish, and whatever is left is retried by another worker.
 */
import { NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { z } from 'zod';
import { ConfigError, LogConfig, PayloadConfig, TemporalConfig, parse } from '../config/env';
import { workerEndpointsFrom } from '../config/providers';
import { createBookingWorker } from './create';
import { temporalLoggerFrom } from './logging';

const WorkerConfig = TemporalConfig.extend(LogConfig.shape).extend(PayloadConfig.shape).extend({
  /** host:port for the SDK's Prometheus metrics (activity latencies, failures, task queue lag). */
  WORKER_METRICS_ADDRESS: z.string().regex(/^[^:]+:\d+$/, 'must be host:port, e.g. 0.0.0.0:9464').optional(),
});

async function main(): Promise<void> {
  const config = parse(WorkerConfig, process.env);
  const logger = pino({ level: config.LOG_LEVEL, base: { service: 'worker' } });
  const endpoints = workerEndpointsFrom(process.env);

  Runtime.install({
    logger: temporalLoggerFrom(logger),
    ...(config.WORKER_METRICS_ADDRESS
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: config.WORKER_METRICS_ADDRESS } } } }
      : {}),
  });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createBookingWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    logger,
    providers: endpoints,
    payloadKeys: config.PAYLOAD_KEYS,
  });
  logger.info(
    { address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE, providers: Object.keys(endpoints), sealingKey: config.PAYLOAD_KEYS[0]!.id },
    'worker started',
  );
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  // A misconfiguration is said plainly, without a stack trace.
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
