/** API start-up: configuration, the Temporal client, the HTTP server, graceful stop. */
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { z } from 'zod';
import { ConfigError, DurationMs, LogConfig, PayloadConfig, TemporalConfig, parse } from '../config/env';
import { bookingDataConverter } from '../common/data-converter';
import { SealingCodec } from '../common/payload-codec';
import { createApp } from './app';
import { ApiTokens } from './auth';
import { apiBindingsFrom } from '../config/providers';

const ApiConfig = TemporalConfig.extend(LogConfig.shape).extend(PayloadConfig.shape).extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Loopback unless told otherwise (containers set HOST=0.0.0.0). */
  HOST: z.string().default('127.0.0.1'),
  API_TOKENS: ApiTokens,
  /** How long an answer (cancel, complete...) waits for the booking to carry it out before replying 202. */
  API_SETTLE_WAIT: DurationMs.default(3_000),
  /** The Temporal UI as approvers reach it, for the inbox's links to a booking (none: no links). */
  TEMPORAL_UI_URL: z.url().optional(),
  /** How long a trip whose legs all hold waits for confirm before releasing them (10m by default). */
  TRIP_CONFIRM_WAIT: DurationMs.optional(),
  /** Pages that may call the codec server with a session cookie: the Temporal UI's origins (default: TEMPORAL_UI_URL's). */
  CODEC_ALLOWED_ORIGINS: z
    .string()
    .optional()
    .transform((value) => (value ?? '').split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.url({ error: 'must be comma-separated origins such as http://localhost:8233' }))),
});

async function main(): Promise<void> {
  const config = parse(ApiConfig, process.env);
  const providers = apiBindingsFrom(process.env);
  const logger = pino({ level: config.LOG_LEVEL, base: { service: 'api' }, redact: ['req.headers.authorization'] });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const payloadCodec = new SealingCodec(config.PAYLOAD_KEYS);
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: bookingDataConverter(payloadCodec) });
  const app = createApp({
    client,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    tokens: config.API_TOKENS,
    providers,
    logger,
    settleWaitMs: config.API_SETTLE_WAIT,
    temporalUiUrl: config.TEMPORAL_UI_URL,
    payloadCodec,
    codecAllowedOrigins: config.CODEC_ALLOWED_ORIGINS.length
      ? config.CODEC_ALLOWED_ORIGINS
      : config.TEMPORAL_UI_URL
        ? [new URL(config.TEMPORAL_UI_URL).origin]
        : [],
    tripTiming: config.TRIP_CONFIRM_WAIT ? { confirmWaitMs: config.TRIP_CONFIRM_WAIT } : {},
  });
  const server = app.listen(config.PORT, config.HOST, () => {
    logger.info({ port: config.PORT, providers: Object.keys(providers), temporal: config.TEMPORAL_ADDRESS, sealingKey: payloadCodec.sealingKeyId }, 'api listening');
  });
  const stop = (signal: string): void => {
    logger.info({ signal }, 'api stopping');
    server.close(() => {
      void connection.close().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
