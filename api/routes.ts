/** `/api/v1/bookings`: start, read, list, and answer bookings of every provider. */
import { Router } from 'express';
import { z } from 'zod';
import { BOOKING_STATUSES, PROVIDERS, type Provider } from '../workflows/booking';
import { callerOf, requireRole } from './auth';
import type { BookingService } from './bookings';
import { ApiError, methodNotAllowed, validate } from './errors';
import type { ProviderBinding, ProviderBindings } from './providers/binding';

export const IdempotencyKey = z.string().min(1).max(200, 'Idempotency-Key is at most 200 characters').optional();
export const BookingIdParam = z.uuid({ error: 'a bookingId is a UUID' });

export const ListQuery = z.object({
  provider: z.enum(PROVIDERS).optional(),
  status: z.enum(BOOKING_STATUSES).optional(),
  /** A provider's reference, `provider:name:value` (e.g. `oks:shows_id:836603`); printable, no quotes: it reaches a visibility query. */
  reference: z
    .string()
    .max(200, 'reference is at most 200 characters')
    .regex(
      // eslint-disable-next-line no-control-regex -- control characters are what it refuses
      /^[a-z0-9_]+:[^:\s"'\\\x00-\x1f\x7f]+:[^\s"'\\\x00-\x1f\x7f]+$/,
      'reference is provider:name:value (e.g. oks:shows_id:836603), without spaces, quotes or control characters',
    )
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The nextCursor of the previous page (Temporal's page token). */
  cursor: z
    .string()
    // Temporal's page tokens are a few hundred bytes; a longer one is not a cursor (and keeps URLs under Node's 16 KB of headers).
    .max(512, 'cursor is the nextCursor of a previous page')
    .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'cursor is the nextCursor of a previous page').optional(),
});

/** A booking request as POST /api/v1/bookings takes it, checked: its provider's binding and its provider's own request. */
export interface CheckedBookingRequest {
  binding: ProviderBinding;
  request: unknown;
}

/**
 * Reads `{"provider", "request"}` as POST /api/v1/bookings does (a trip's legs
 * too); a 400 names every bad field, under `at` (`legs[1]`) when given.
 */
export function bookingRequestReader(bindings: ProviderBindings): (body: unknown, at?: string[]) => CheckedBookingRequest {
  const configured = Object.keys(bindings) as Provider[];
  const StartEnvelope = z.object({
    provider: z.enum(configured as [Provider, ...Provider[]], { error: `provider must be one of: ${configured.join(', ')}` }),
    request: z.looseObject({}, { error: "request is required: an object with the provider's booking fields" }),
  });
  return (body, at = []) => {
    const envelope = validate(StartEnvelope, body ?? {}, at.length ? at.join('.') : 'booking', at);
    const binding = bindings[envelope.provider]!;
    return { binding, request: validate(binding.request, envelope.request, `${binding.provider} request`, [...at, 'request']) };
  };
}

export function bookingRoutes(service: BookingService, bindings: ProviderBindings): Router {
  const router = Router();
  const readBookingRequest = bookingRequestReader(bindings);

  router.post('/', async (req, res) => {
    const caller = callerOf(req);
    const { binding, request } = readBookingRequest(req.body);
    const key = validate(IdempotencyKey, req.header('idempotency-key'), 'Idempotency-Key header', ['Idempotency-Key']);
    const started = await service.start(binding, caller, request, key);
    res
      .status(started.created ? 202 : 200)
      .location(`${req.baseUrl}/${started.bookingId}`)
      .set(started.created ? {} : { 'Idempotent-Replayed': 'true' })
      .json({
        taskId: started.bookingId,
        bookingId: started.bookingId,
        status: started.view?.status ?? 'pending',
        createdAt: started.createdAt,
      });
  });

  router.get('/', async (req, res) => {
    const caller = callerOf(req);
    const query = validate(ListQuery, req.query, 'query');
    res.json(await service.list(caller, query));
  });

  router.get('/:bookingId', async (req, res) => {
    const bookingId = validate(BookingIdParam, req.params.bookingId, 'path', ['bookingId']);
    res.json(await service.view(callerOf(req), bookingId));
  });

  router.post('/:bookingId/:action', async (req, res) => {
    const caller = callerOf(req);
    const bookingId = validate(BookingIdParam, req.params.bookingId, 'path', ['bookingId']);
    const current = await service.facts(caller, bookingId);
    const binding = bindings[current.provider];
    const action = binding && (binding.actions[req.params.action] ?? Object.values(binding.actions).find((a) => a.signal === req.params.action));
    if (!binding || !action) {
      const known = Object.keys(binding?.actions ?? {});
      throw new ApiError(404, 'unknown_action', `a ${current.provider} booking has no "${req.params.action}" action; it has: ${known.join(', ')}`);
    }
    requireRole(caller, action.roles, req.params.action);
    const body = action.body ? validate(action.body, req.body ?? {}, `${req.params.action} body`) : undefined;
    const key = validate(IdempotencyKey, req.header('idempotency-key'), 'Idempotency-Key header', ['Idempotency-Key']);
    const { view, settled } = await service.act(caller, current, req.params.action, action, body, key);
    res.status(settled ? 200 : 202).json(view);
  });

  // A known path asked with another method: 405 naming the ones it takes, not a 404.
  router.all('/', methodNotAllowed('GET, POST'));
  router.all('/:bookingId', methodNotAllowed('GET'));
  router.all('/:bookingId/:action', methodNotAllowed('POST'));
  return router;
}
