/** The Express app: auth, routes, oks's own endpoints, errors as JSON, request logs and metrics. */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { approvalRoutes } from './approvals';
import { type Caller, authenticate } from './auth';
import { BookingService } from './bookings';
import { codecRoutes } from './codec';
import { ApiError, errorHandler, methodNotAllowed } from './errors';
import type { ProviderBindings } from './providers/binding';
import { openApiDocument } from './openapi';
import { bookingRoutes } from './routes';
import { TripService, tripRoutes } from './trips';
import type { TripTiming } from '../workflows/trip';

export interface AppOptions {
  client: Client;
  taskQueue: string;
  tokens: Map<string, Caller>;
  providers: ProviderBindings;
  logger: Logger;
  settleWaitMs?: number;
  queryTimeoutMs?: number;
  /** The Temporal UI's address, for links from the approvals inbox (TEMPORAL_UI_URL). */
  temporalUiUrl?: string;
  /** The trips' own durations (TRIP_CONFIRM_WAIT). */
  tripTiming?: Partial<TripTiming>;
  /** The codec the client seals payloads with, served at /codec to the Temporal UI and CLI. */
  payloadCodec: PayloadCodec;
  /** Origins (the Temporal UI's) whose pages may call /codec with the session cookie. */
  codecAllowedOrigins?: readonly string[];
}

export function createApp(options: AppOptions): Express {
  const { logger } = options;
  const serviceOptions = {
    client: options.client,
    taskQueue: options.taskQueue,
    logger,
    settleWaitMs: options.settleWaitMs ?? 3_000,
    queryTimeoutMs: options.queryTimeoutMs ?? 5_000,
  };
  const service = new BookingService(serviceOptions);
  const trips = new TripService({ ...serviceOptions, timing: options.tripTiming ?? {} });

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'API request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [metrics],
  });
  const bookingsStarted = new Counter({
    name: 'bookings_started_total',
    help: 'Bookings started through the API, by provider',
    labelNames: ['provider'],
    registers: [metrics],
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.use(
    pinoHttp({
      logger,
      // Bodies carry names and phones: only the method, path, status and timing are logged.
      serializers: {
        req: (req: { method: string; url: string; id: unknown }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customProps: (req) => ({ client: (req as express.Request).caller?.client }),
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
    }),
  );
  app.use((req, res, next) => {
    const end = requestDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ route, status: String(res.statusCode) });
      if (req.method === 'POST' && res.statusCode === 202 && route.endsWith('/bookings/')) {
        bookingsStarted.inc({ provider: String((req.body as { provider?: unknown } | undefined)?.provider) });
      }
    });
    next();
  });
  // Before the bookings' body parser: a history's payloads are larger than a booking.
  app.use('/codec', codecRoutes({ codec: options.payloadCodec, tokens: options.tokens, logger, allowedOrigins: options.codecAllowedOrigins ?? [] }));
  app.use(express.json({ limit: '256kb' }));

  app.get('/health', async (_req, res) => {
    try {
      await options.client.connection.withDeadline(Date.now() + 2_000, () =>
        options.client.workflowService.getSystemInfo({}),
      );
      res.json({ status: 'ok', temporal: 'reachable' });
    } catch {
      res.status(503).set('Retry-After', '5').json({ status: 'degraded', temporal: 'unreachable' });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });

  const openApi = openApiDocument(options.providers);
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  for (const path of ['/health', '/metrics', '/api/v1/openapi.json']) app.all(path, methodNotAllowed('GET'));

  const auth = authenticate(options.tokens);
  app.use('/api/v1/bookings', auth, bookingRoutes(service, options.providers));
  app.use('/api/v1/approvals', auth, approvalRoutes(service, options.client, options.providers, { temporalUiUrl: options.temporalUiUrl }));
  // The approvals inbox: a static page; it signs in with an approver's token and calls the routes above.
  app.use('/inbox', express.static(path.join(__dirname, 'inbox'), { fallthrough: false }));
  app.use('/api/v1/trips', auth, tripRoutes(trips, options.providers));
  for (const binding of Object.values(options.providers)) {
    for (const { mountPath, router, errorHandler } of binding.routes ?? []) {
      app.use(mountPath, auth, router(service, binding), ...(errorHandler ? [errorHandler] : []));
    }
  }
  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `no route ${req.method} ${req.path}`)));
  app.use(errorHandler(logger));
  return app;
}
