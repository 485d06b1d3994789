/**
 * The OpenAPI document, generated from the same zod schemas that validate
 * requests and from the provider bindings, so it cannot drift from the API.
 * Served at GET /api/v1/openapi.json; test/schemathesis.test.ts holds the API
 * to it (every status, header and body; requests valid by it accepted, others refused).
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, extendZodWithOpenApi, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { BOOKING_STATUSES, type BookingView, PROVIDERS } from '../workflows/booking';
import type { TripView } from '../workflows/trip';
import type { AnswerDoc, ProviderBindings } from './providers/binding';
import { ApprovalsQuery, PEOPLE } from './approvals';
import { CodecPayloads, SESSION_MAX_AGE_S } from './codec';
import { BookingIdParam, IdempotencyKey, ListQuery } from './routes';
import { MAX_LEGS, TripCancelBody, TripIdParam, TripListQuery } from './trips';

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

const TimelineEntry = z.object({
  at: z.string(),
  status: z.enum(BOOKING_STATUSES),
  stage: z.string(),
  note: z.string(),
  by: z.string().optional().meta({ description: 'Who gave the answer the entry records: `client (role)`' }),
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
  timeline: z.array(TimelineEntry),
}) satisfies z.ZodType<BookingView>;

/** A leg as its trip sums it up. */
const TripLegSchema = z.object({
  leg: z.number().int(),
  bookingId: z.string(),
  provider: z.enum(PROVIDERS),
  pivot: z.string().nullable().meta({ description: 'Why the leg cannot be undone, when it is the pivot (booked last, once the trip is confirmed)' }),
  status: z.enum(BOOKING_STATUSES),
  stage: z.string(),
  note: z.string(),
  waitingFor: Waiting.nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  attention: z.string().nullable(),
  cancellable: z.boolean(),
  notCancellableReason: z.string().optional(),
  revision: z.number().int(),
});

/** The trip view, as the trip's `status` query returns it (the API adds each leg's own view). */
const TripViewSchema = z.object({
  tripId: z.string(),
  client: z.string(),
  status: z.enum(BOOKING_STATUSES),
  stage: z.string().meta({ description: 'holding, held, booking_pivot, completing, legs_running, releasing, or how the trip ended' }),
  createdAt: z.string(),
  updatedAt: z.string(),
  waitingFor: Waiting.extend({ leg: z.number().int().optional() }).nullable().meta({ description: "The trip's own wait (confirm), or a leg's human wait, naming the leg" }),
  legs: z.array(TripLegSchema),
  error: z.object({ code: z.string(), message: z.string(), leg: z.number().int().optional(), provider: z.enum(PROVIDERS).optional() }).nullable(),
  notUndone: z.array(z.object({ leg: z.number().int(), provider: z.enum(PROVIDERS), bookingId: z.string(), reason: z.string() })),
  attention: z.string().nullable(),
  cancellable: z.boolean(),
  revision: z.number().int(),
  timeline: z.array(TimelineEntry),
}) satisfies z.ZodType<TripView>;

const TripAccepted = z.object({
  tripId: z.string(),
  status: z.enum(BOOKING_STATUSES),
  createdAt: z.string(),
  legs: z.array(z.object({ leg: z.number().int(), provider: z.string(), bookingId: z.string() })),
});

const TripSummary = z.object({
  tripId: z.string(),
  status: z.string(),
  client: z.string(),
  createdAt: z.string(),
  closedAt: z.string().nullable(),
  summary: z.string().nullable(),
});

const Approval = z.object({
  bookingId: z.string(),
  provider: z.string(),
  client: z.string(),
  status: z.enum(BOOKING_STATUSES),
  stage: z.string(),
  waitingFor: Waiting.extend({ on: z.enum(PEOPLE) }),
  secondsLeft: z.number().int().nullable().meta({ description: 'Seconds to the deadline when the list was read' }),
  answers: z.array(
    z.object({
      name: z.string().meta({ description: 'POST /api/v1/bookings/{bookingId}/{name}' }),
      summary: z.string(),
      schema: z.record(z.string(), z.unknown()).nullable().meta({ description: "JSON Schema of the answer's body; null: it takes none" }),
    }),
  ),
  timeline: z.array(TimelineEntry),
  temporalUrl: z.string().nullable().meta({ description: 'The booking in the Temporal UI (TEMPORAL_UI_URL)' }),
  readable: z.boolean().meta({ description: 'False when its worker did not answer in time: what the search attributes say, no answers for now' }),
  trip: z.string().nullable().meta({ description: 'The trip the booking is a leg of' }),
});

const Health = z.object({ status: z.enum(['ok', 'degraded']), temporal: z.enum(['reachable', 'unreachable']) });

const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

const Accepted = z.object({ taskId: z.string(), bookingId: z.string(), status: z.enum(BOOKING_STATUSES), createdAt: z.string() });

const BookingSummary = z.object({
  bookingId: z.string(),
  provider: z.string(),
  status: z.string(),
  client: z.string(),
  createdAt: z.string(),
  closedAt: z.string().nullable(),
  summary: z.string().nullable(),
  trip: z.string().nullable().meta({ description: 'The trip the booking is a leg of' }),
});

/** Every 503 says when to try again. */
const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' as const, minimum: 0 } } };

/** What each error status means where the route does not say more. */
const ERRORS: Record<number, string> = {
  400: 'Invalid request (every bad field is named), or a body that is not JSON',
  401: 'Missing, malformed or unknown API token',
  403: 'The token may not do this (its role)',
  404: 'Not found',
  409: 'Conflicts with the state of what it acts on; the message says why',
  413: 'The body is larger than 256 KB',
  422: 'The provider refused; its words are kept',
  502: 'The provider refused our credentials or answered badly',
  503: 'Unavailable for now (no worker answered in time, or the provider is unreachable); try again after Retry-After',
};

function answer(status: number, doc: AnswerDoc & { links?: ResponseConfig['links'] }): ResponseConfig {
  const schema = doc.schema ?? (status >= 400 ? ErrorBody : undefined);
  return {
    description: doc.description,
    ...(doc.links ? { links: doc.links } : {}),
    ...(status === 503 ? { headers: RETRY_AFTER } : {}),
    ...(status === 405 ? { headers: { Allow: { description: 'The methods the path takes', schema: { type: 'string' as const } } } } : {}),
    ...(schema ? { content: { 'application/json': { schema } } } : {}),
  };
}

/** Responses from `status → description or answer`; error statuses alone get the API's error shape. */
function responses(answers: Record<number, (AnswerDoc & { links?: ResponseConfig['links'] }) | string>): Record<number, ResponseConfig> {
  return Object.fromEntries(
    Object.entries(answers).map(([status, doc]) => [status, answer(Number(status), typeof doc === 'string' ? { description: doc } : doc)]),
  );
}

/** The operationId of an answer route: `answerCancel`, `answerMarkReleased`... */
const answerOperation = (name: string): string => `answer${name[0]!.toUpperCase()}${name.slice(1)}`;

const errors = (...statuses: number[]): Record<number, string> => Object.fromEntries(statuses.map((s) => [s, ERRORS[s]!]));

/** Whether a JSON body must be sent: it must unless `{}` is a valid one (a missing body is read as `{}`). */
const bodyRequired = (schema: z.ZodType): boolean => !schema.safeParse({}).success;

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
  const idempotencyHeader = z.object({ 'Idempotency-Key': IdempotencyKey.meta({ description: 'Makes a retry safe: the same key gets the first outcome' }) });
  /** Path → the methods it takes, for the 405 every other method gets. */
  const methods = new Map<string, string[]>();
  const register = (config: Parameters<OpenAPIRegistry['registerPath']>[0]): void => {
    methods.set(config.path, [...(methods.get(config.path) ?? []), config.method.toUpperCase()]);
    registry.registerPath(config);
  };

  // What can be done next with a booking just started: read it, or give it an answer.
  const links = Object.fromEntries(
    ['readBooking', ...new Set(providers.flatMap((b) => Object.keys(b.actions).map(answerOperation)))].map((operationId) => [
      operationId,
      { operationId, parameters: { bookingId: '$response.body#/bookingId' } },
    ]),
  );
  const bookingRequest = oneOf(providers.map((b) => z.object({ provider: z.literal(b.provider), request: b.request })));
  register({
    method: 'post',
    path: '/api/v1/bookings',
    operationId: 'startBooking',
    summary: 'Start a booking',
    description: 'Starts the booking workflow. An Idempotency-Key makes retries safe: the same key returns the same booking.',
    security: [{ bearer: [] }],
    request: {
      headers: idempotencyHeader,
      body: {
        required: true,
        content: {
          'application/json': {
            schema: bookingRequest,
          },
        },
      },
    },
    responses: responses({
      202: { description: 'Started', schema: Accepted, links },
      200: { description: 'The Idempotency-Key found the booking it had started', schema: Accepted, links },
      ...errors(400, 401, 413),
      422: 'The Idempotency-Key was used for a different request',
      503: 'The Idempotency-Key found its booking, but no worker answered in time to read it; try again after Retry-After',
    }),
  });
  register({
    method: 'get',
    path: '/api/v1/bookings',
    summary: 'List bookings (an app sees its own; an approver sees all)',
    security: [{ bearer: [] }],
    request: { query: ListQuery },
    responses: responses({
      200: { description: 'Bookings, newest first, a page at a time: pass `nextCursor` back as `cursor`', schema: z.object({ bookings: z.array(BookingSummary), nextCursor: z.string().nullable() }) },
      ...errors(400, 401),
    }),
  });
  register({
    method: 'get',
    path: '/api/v1/bookings/{bookingId}',
    operationId: 'readBooking',
    summary: 'Read a booking (also after it ended)',
    security: [{ bearer: [] }],
    request: { params: z.object({ bookingId: BookingIdParam }) },
    responses: responses({
      200: { description: 'The booking view', schema: view },
      ...errors(400, 401),
      404: 'No such booking for this client',
      503: 'No worker answered in time; the booking is safe, try again after Retry-After',
    }),
  });

  register({
    method: 'get',
    path: '/api/v1/approvals',
    summary: 'The approvals inbox: every booking waiting for a person (approver, client, operator), soonest deadline first within a page',
    description:
      "Approvers only. Each item carries what the booking waits for, the data to decide on, the deadline and the time left, and the answers an approver may give with the JSON Schema of each body. Pages follow Temporal's own page token: pass `nextCursor` back as `cursor`.",
    security: [{ bearer: [] }],
    request: { query: ApprovalsQuery },
    responses: responses({
      200: { description: 'One page of waiting bookings', schema: z.object({ approvals: z.array(Approval), nextCursor: z.string().nullable() }) },
      ...errors(400, 401),
      403: 'Only an approver token may read the inbox',
    }),
  });

  const actions = new Map<string, { providers: string[]; summaries: string[]; bodies: z.ZodType[]; withoutBody: boolean }>();
  for (const binding of providers) {
    for (const [name, action] of Object.entries(binding.actions)) {
      const entry = actions.get(name) ?? { providers: [], summaries: [], bodies: [], withoutBody: false };
      entry.providers.push(binding.provider);
      entry.summaries.push(`${binding.provider}: ${action.summary}`);
      if (action.body && !entry.bodies.includes(action.body)) entry.bodies.push(action.body);
      if (!action.body) entry.withoutBody = true;
      actions.set(name, entry);
    }
  }
  for (const [name, action] of actions) {
    // One path serves every provider's answer of that name: its body is the one of the booking's provider.
    const body = action.bodies.length ? oneOf(action.bodies) : undefined;
    register({
      method: 'post',
      path: `/api/v1/bookings/{bookingId}/${name}`,
      operationId: answerOperation(name),
      summary: `${name} (${action.providers.join(', ')})`,
      description: `${action.summaries.join('\n\n')}${action.withoutBody && body ? '\n\nA provider whose answer takes no body ignores one.' : ''}`,
      security: [{ bearer: [] }],
      request: {
        params: z.object({ bookingId: BookingIdParam }),
        headers: idempotencyHeader,
        ...(body ? { body: { required: !action.withoutBody && action.bodies.every(bodyRequired), content: { 'application/json': { schema: body } } } } : {}),
      },
      responses: responses({
        200: { description: 'Done: the booking as it is now', schema: view },
        202: { description: 'Accepted: the booking is still settling at the provider', schema: view },
        ...errors(400, 401),
        403: "The token's role may not give this answer",
        404: 'No such booking, or no such answer for its provider',
        409: 'The booking is not in a state that allows this answer; the message says why',
        ...(body ? errors(413) : {}),
        503: 'No worker answered in time; the booking is safe, try again after Retry-After',
      }),
    });
  }

  // Trips: bookings across providers, all or nothing.
  // What can be done next with a trip just started: read it, confirm or cancel it.
  const tripLinks = Object.fromEntries(
    ['readTrip', 'confirmTrip', 'cancelTrip'].map((operationId) => [operationId, { operationId, parameters: { tripId: '$response.body#/tripId' } }]),
  );
  const tripView = registry.register(
    'TripView',
    TripViewSchema.extend({
      legs: z.array(TripLegSchema.extend({ view: view.nullable().meta({ description: "The leg's own booking view; null before the leg starts, or while no worker answers for it" }) })),
    }),
  );
  register({
    method: 'post',
    path: '/api/v1/trips',
    operationId: 'startTrip',
    summary: 'Start a trip: several bookings, all or nothing',
    description:
      'Each leg is a booking request as POST /api/v1/bookings takes it. Legs that can be undone run first, in parallel; ' +
      'a leg that cannot (hotels24) is the pivot, booked once the trip is confirmed; at most one per trip (a second is a 400). ' +
      'An Idempotency-Key makes retries safe: the same key returns the same trip.',
    security: [{ bearer: [] }],
    request: {
      headers: idempotencyHeader,
      body: { required: true, content: { 'application/json': { schema: z.object({ legs: z.array(bookingRequest).min(2).max(MAX_LEGS) }) } } },
    },
    responses: responses({
      202: { description: 'Started', schema: TripAccepted, links: tripLinks },
      200: { description: 'The Idempotency-Key found the trip it had started', schema: TripAccepted, links: tripLinks },
      ...errors(401, 413),
      400: 'Invalid request: every bad field of every leg is named (legs[1].request.seats), or a second leg that cannot be undone',
      422: 'The Idempotency-Key was used for a different request',
      503: 'The Idempotency-Key found its trip, but no worker answered in time to read it; try again after Retry-After',
    }),
  });
  register({
    method: 'get',
    path: '/api/v1/trips',
    summary: 'List trips (an app sees its own; an approver sees all)',
    security: [{ bearer: [] }],
    request: { query: TripListQuery },
    responses: responses({ 200: { description: 'Trips, newest first', schema: z.object({ trips: z.array(TripSummary) }) }, ...errors(400, 401) }),
  });
  register({
    method: 'get',
    path: '/api/v1/trips/{tripId}',
    operationId: 'readTrip',
    summary: "Read a trip: its status, what it waits for, and each leg's view",
    security: [{ bearer: [] }],
    request: { params: z.object({ tripId: TripIdParam }) },
    responses: responses({
      200: { description: 'The trip view', schema: tripView },
      ...errors(400, 401),
      404: 'No such trip for this client',
      503: 'No worker answered in time; the trip is safe, try again after Retry-After',
    }),
  });
  for (const [name, summary, body] of [
    ['confirm', 'Confirm a trip whose legs all hold: the pivot is booked, then every leg is completed (pays the tickets, completes the deal)', undefined],
    ['cancel', 'Cancel a trip: every leg that can still be released is released, newest first; the view names the legs that cannot be undone', TripCancelBody],
  ] as const) {
    register({
      method: 'post',
      path: `/api/v1/trips/{tripId}/${name}`,
      operationId: `${name}Trip`,
      summary,
      security: [{ bearer: [] }],
      request: {
        params: z.object({ tripId: TripIdParam }),
        ...(body ? { body: { required: false, content: { 'application/json': { schema: body } } } } : {}),
      },
      responses: responses({
        200: { description: 'Done: the trip as it is now', schema: tripView },
        202: { description: 'Accepted: the trip is still carrying it out', schema: tripView },
        ...errors(400, 401, 403),
        404: 'No such trip for this client',
        409: 'The trip is not in a state that allows this answer; the message says why',
        ...(body ? errors(413) : {}),
        503: 'No worker answered in time; the trip is safe, try again after Retry-After',
      }),
    });
  }

  // The service's own routes, for load balancers, Prometheus and API tools: no token.
  register({
    method: 'get',
    path: '/health',
    summary: 'Whether the API can reach Temporal',
    responses: responses({
      200: { description: 'Temporal answers', schema: Health },
      503: { description: 'Temporal does not answer; try again after Retry-After', schema: Health },
    }),
  });
  register({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics: request durations by route and status, bookings started by provider, the process',
    responses: { 200: { description: 'The Prometheus text format', content: { 'text/plain': { schema: z.string() } } } },
  });
  register({
    method: 'get',
    path: '/api/v1/openapi.json',
    summary: 'This document',
    responses: responses({ 200: { description: 'The OpenAPI 3.1 document', schema: z.looseObject({ openapi: z.string() }) } }),
  });

  // The codec server, for the Temporal UI and CLI (Temporal's remote codec protocol).
  const codecHeaders = z.object({ 'X-Namespace': z.string().optional().meta({ description: 'The namespace the payloads come from (sent by the UI and CLI; every namespace shares the keys)' }) });
  const payloadsBody = { required: true, content: { 'application/json': { schema: CodecPayloads } } };
  const refusedWithPayloads = ErrorBody.extend({ payloads: CodecPayloads.shape.payloads });
  register({
    method: 'post',
    path: '/codec/decode',
    summary: 'Open sealed payloads (operators and approvers)',
    description:
      'The Temporal UI and `temporal --codec-endpoint` call this to show sealed payloads decoded. A bearer token, or the session cookie ' +
      'of POST /codec/session, of the approver or operator role. Payloads that were never sealed come back as they are.',
    security: [{ bearer: [] }, {}],
    request: { headers: codecHeaders, body: payloadsBody },
    responses: responses({
      200: { description: 'The payloads, opened', schema: CodecPayloads },
      ...errors(400),
      401: { description: 'No staff token or session: the error, and the payloads as they came (the UI shows them sealed)', schema: refusedWithPayloads },
      403: { description: 'The token is an app\'s: the error, and the payloads as they came', schema: refusedWithPayloads },
      413: 'The body is larger than 8 MB',
      422: 'A payload does not open: its key is not configured, or it was altered (the message names the key)',
    }),
  });
  register({
    method: 'post',
    path: '/codec/encode',
    summary: 'Seal payloads (operators and approvers), e.g. a signal sent from the Temporal UI',
    security: [{ bearer: [] }, {}],
    request: { headers: codecHeaders, body: payloadsBody },
    responses: responses({ 200: { description: 'The payloads, sealed with the current key', schema: CodecPayloads }, ...errors(400, 401, 403), 413: 'The body is larger than 8 MB' }),
  });
  register({
    method: 'post',
    path: '/codec/session',
    summary: "A browser's codec session: an HttpOnly cookie the Temporal UI sends with its codec calls",
    description: 'The approvals inbox calls this when an approver or operator signs in; the UI sends the cookie when "include cross-origin credentials" is on.',
    security: [{ bearer: [] }],
    responses: responses({
      200: { description: 'Signed in: Set-Cookie carries the session', schema: z.object({ client: z.string(), role: z.enum(['approver', 'operator']), expiresInSeconds: z.literal(SESSION_MAX_AGE_S) }) },
      ...errors(401, 403),
    }),
  });
  register({ method: 'delete', path: '/codec/session', summary: 'Sign out of the codec session (the cookie is cleared)', responses: { 204: { description: 'Signed out' } } });

  // Provider routes: catalogues, oks's own endpoints.
  for (const binding of providers) {
    for (const { mountPath, docs } of binding.routes ?? []) {
      for (const doc of docs) {
        register({
          method: doc.method,
          path: `${mountPath}${doc.path}`,
          summary: `${doc.summary} (${binding.provider})`,
          security: [{ bearer: [] }],
          request: {
            ...(doc.params ? { params: doc.params } : {}),
            ...(doc.query ? { query: doc.query } : {}),
            ...(doc.headers ? { headers: doc.headers } : {}),
            ...(doc.body ? { body: { required: bodyRequired(doc.body), content: { 'application/json': { schema: doc.body } } } } : {}),
          },
          responses: responses(doc.responses),
        });
      }
    }
  }

  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Booking orchestrator',
      version: '1',
      description:
        'Bookings with very different providers, each a durable Temporal workflow.\n\n' +
        'A path asked with a method it does not take answers 405 with an `Allow` header naming the ones it takes ' +
        '(each path says which in its description), in the error shape of the path (oks\'s own routes: `{"detail": "..."}`).',
    },
  });
  for (const [path, allowed] of methods) {
    const item = document.paths?.[path];
    if (item) item.description = `Takes ${allowed.join(', ')}; any other method answers 405 with \`Allow: ${allowed.join(', ')}\`.`;
  }
  exact(document);
  return document;
}

// ---------------------------------------------------------------------------
// What zod checks and the generated schemas leave unsaid, said in the document.

/** zod's integers are JavaScript's safe integers. */
const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

/** Formats as zod checks them (JSON Schema tools read `format` more loosely or more strictly). */
const FORMAT_PATTERNS: Record<string, string> = {
  email: z.regexes.email.source,
  uuid: z.regexes.uuid().source,
  date: z.regexes.date.source,
};

/** JavaScript's `\s` (Python's differs: it has \x1c-\x1f and \x85, not \ufeff). */
const JS_WHITESPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** A pattern for a string that is not blank once trimmed (JavaScript's trim removes exactly its `\s`). */
export const NOT_BLANK = `[^${JS_WHITESPACE}]`;

/**
 * A JavaScript pattern as every JSON Schema tool reads it: without the `u` flag,
 * `\d` and `\w` are ASCII in JavaScript but Unicode in Python's `re`, and `\s` is not
 * the same set in both.
 */
function asciiPattern(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      i++;
      const classes: Record<string, string> = { d: '0-9', w: 'A-Za-z0-9_', s: JS_WHITESPACE };
      const negated: Record<string, string> = { D: '0-9', W: 'A-Za-z0-9_', S: JS_WHITESPACE };
      if (classes[next]) out += inClass ? classes[next] : `[${classes[next]}]`;
      else if (negated[next] && !inClass) out += `[^${negated[next]}]`;
      else out += `\\${next}`;
      continue;
    }
    if (c === '[' && !inClass) inClass = true;
    else if (c === ']' && inClass) inClass = false;
    out += c;
  }
  return out;
}

/** Walks the document's schemas: integer bounds, formats and patterns as zod has them. */
function exact(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(exact);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Record<string, unknown>;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('integer')) {
    if (schema.maximum === undefined && schema.exclusiveMaximum === undefined) schema.maximum = SAFE_INTEGER;
    if (schema.minimum === undefined && schema.exclusiveMinimum === undefined) schema.minimum = -SAFE_INTEGER;
  }
  if (types.includes('string') && typeof schema.format === 'string' && FORMAT_PATTERNS[schema.format] && schema.pattern === undefined) {
    schema.pattern = FORMAT_PATTERNS[schema.format];
    delete schema.format;
  }
  if (typeof schema.pattern === 'string') schema.pattern = asciiPattern(schema.pattern);
  for (const value of Object.values(schema)) exact(value);
}
