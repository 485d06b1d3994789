/**
 * The OpenAPI document, generated from the same zod schemas that validate
 * requests and from the provider bindings, so it cannot drift from the API.
 * Served at GET /api/v1/openapi.json.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { BOOKING_STATUSES, type BookingView, PROVIDERS } from '../workflows/booking';
import type { ProviderBindings } from './providers/binding';
import { BookingIdParam, ListQuery } from './routes';

// Lets the generator name schemas (`$ref`s); a one-time extension of zod's prototype.
extendZodWithOpenApi(z);

const Waiting = z.object({
  on: z.enum(['approver', 'client', 'provider', 'operator']),
  actions: z.array(z.string()),
  deadline: z.string().nullable(),
  atDeadline: z.string(),
  what: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional().meta({ description: 'The data to decide on: conditions shown, differences, missing fields' }),
});

/** The booking view, as the `status` query and GET /api/v1/bookings/:id return it. */
const BookingViewSchema = z.object({
  bookingId: z.string(),
  provider: z.enum(PROVIDERS),
  client: z.string(),
  status: z.enum(BOOKING_STATUSES),
  stage: z.string().meta({ description: "The provider's own name for where the booking is" }),
  createdAt: z.string(),
  updatedAt: z.string(),
  waitingFor: Waiting.nullable(),
  references: z.record(z.string(), z.union([z.string(), z.number()])),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.object({ code: z.string(), message: z.string(), providerDetails: z.unknown().optional() }).nullable(),
  attention: z.string().nullable(),
  cancellable: z.boolean(),
  notCancellableReason: z.string().optional(),
  revision: z.number().int(),
  timeline: z.array(z.object({ at: z.string(), status: z.enum(BOOKING_STATUSES), stage: z.string(), note: z.string() })),
}) satisfies z.ZodType<BookingView>;

const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

const Accepted = z.object({ taskId: z.string(), bookingId: z.string(), status: z.enum(BOOKING_STATUSES), createdAt: z.string() });

const json = <S extends z.ZodType>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
const errors = {
  400: json(ErrorBody, 'Invalid request: every bad field is named'),
  401: json(ErrorBody, 'Missing or unknown API token'),
  403: json(ErrorBody, 'The token may not do this'),
};

function oneOf(schemas: z.ZodType[]): z.ZodType {
  const [first, second, ...rest] = schemas;
  if (!first) return z.never();
  return second ? z.union([first, second, ...rest]) : first;
}

export function openApiDocument(bindings: ProviderBindings) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const view = registry.register('BookingView', BookingViewSchema);
  const providers = Object.values(bindings);

  registry.registerPath({
    method: 'post',
    path: '/api/v1/bookings',
    summary: 'Start a booking',
    description: 'Starts the booking workflow. An Idempotency-Key makes retries safe: the same key returns the same booking.',
    security: [{ bearer: [] }],
    request: {
      headers: z.object({ 'Idempotency-Key': z.string().optional() }),
      body: {
        content: {
          'application/json': {
            schema: oneOf(providers.map((b) => z.object({ provider: z.literal(b.provider), request: b.request }))),
          },
        },
      },
    },
    responses: {
      202: json(Accepted, 'Started'),
      200: json(Accepted, 'The Idempotency-Key found the booking it had started'),
      422: json(ErrorBody, 'The Idempotency-Key was used for a different request'),
      ...errors,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/v1/bookings',
    summary: "List bookings (an app sees its own; an approver sees all)",
    security: [{ bearer: [] }],
    request: { query: ListQuery },
    responses: { 200: json(z.object({ bookings: z.array(z.object({ bookingId: z.string(), provider: z.string(), status: z.string(), client: z.string(), createdAt: z.string(), closedAt: z.string().nullable(), summary: z.string().nullable() })) }), 'Bookings, newest first'), ...errors },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/v1/bookings/{bookingId}',
    summary: 'Read a booking (also after it ended)',
    security: [{ bearer: [] }],
    request: { params: z.object({ bookingId: BookingIdParam }) },
    responses: { 200: json(view, 'The booking view'), 404: json(ErrorBody, 'No such booking for this client'), 503: json(ErrorBody, 'No worker answered in time'), ...errors },
  });
  const actions = new Map<string, { providers: string[]; summary: string; body?: z.ZodType }>();
  for (const binding of providers) {
    for (const [name, action] of Object.entries(binding.actions)) {
      const entry = actions.get(name) ?? { providers: [], summary: action.summary, body: action.body };
      entry.providers.push(binding.provider);
      actions.set(name, entry);
    }
  }
  for (const [name, action] of actions) {
    registry.registerPath({
      method: 'post',
      path: `/api/v1/bookings/{bookingId}/${name}`,
      summary: `${name} (${action.providers.join(', ')})`,
      description: action.summary,
      security: [{ bearer: [] }],
      request: {
        params: z.object({ bookingId: BookingIdParam }),
        ...(action.body ? { body: { content: { 'application/json': { schema: action.body } } } } : {}),
      },
      responses: {
        200: json(view, 'Done: the booking as it is now'),
        202: json(view, 'Accepted: the booking is still settling at the provider'),
        404: json(ErrorBody, 'No such booking, or no such action for its provider'),
        409: json(ErrorBody, 'The booking is not in a state that allows this answer; the message says why'),
        ...errors,
      },
    });
  }

  // Provider routes: catalogues, oks's own endpoints.
  for (const binding of providers) {
    for (const { mountPath, docs } of binding.routes ?? []) {
      for (const doc of docs) {
        registry.registerPath({
          method: doc.method,
          path: `${mountPath}${doc.path}`,
          summary: `${doc.summary} (${binding.provider})`,
          security: [{ bearer: [] }],
          request: { ...(doc.params ? { params: doc.params } : {}), ...(doc.query ? { query: doc.query } : {}) },
          responses: {
            200: { description: "The provider's answer" },
            502: json(ErrorBody, 'The provider refused our credentials or answered badly'),
            503: json(ErrorBody, 'The provider is unreachable'),
            ...errors,
          },
        });
      }
    }
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Booking orchestrator',
      version: '1',
      description: 'Bookings with very different providers, each a durable Temporal workflow.',
    },
  });
}
