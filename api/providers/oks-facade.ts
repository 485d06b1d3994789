/**
 * oks's own three endpoints, served by the orchestrator's workflows, so an
 * existing oks client can point at this service unchanged. Answers follow the
 * seed's examples field for field; errors keep oks's `{detail, api_error}` and
 * FastAPI-style shapes (see activities/oks/contract.ts for the assumptions).
 */
import { type NextFunction, type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { BookLayoutRequest, DEAL_NOT_BOOKED, UNBOOK_FAILED_DETAIL, UnbookRequest } from '../../activities/oks/contract';
import type { BookingView } from '../../workflows/booking';
import { callerOf } from '../auth';
import type { BookingService } from '../bookings';
import { ApiError } from '../errors';
import { type ProviderBinding, type RouteDoc, cancelAction } from './binding';
import { BookingIdParam, IdempotencyKey } from '../routes';

/** oks takes one reservation length only (its contract refuses others): the document says which. */
const supportedReserveDays: number = BookLayoutRequest.shape.reserveDays.parse(undefined);

/** A layout booking request, documented as exactly as oks's contract checks it. */
export const DocumentedBookLayoutRequest = BookLayoutRequest.extend({
  reserveDays: BookLayoutRequest.shape.reserveDays.meta({ enum: [supportedReserveDays] }),
});

/** oks's errors: FastAPI's `{detail}` (a string, or one entry per bad field) and the seed's `{detail, api_error}`. */
const OksDetail = z.object({ detail: z.string() });
const OksFieldProblems = z.object({ detail: z.array(z.object({ type: z.string(), loc: z.array(z.string()), msg: z.string() })) });
const OksRefusal = z.object({ detail: z.string(), api_error: z.string() });
const oksTime = z.string().meta({ description: 'with microseconds: 2025-10-28T16:22:42.381514Z' });
const OksTask = z.object({
  taskId: z.string(),
  status: z.enum(['pending', 'processing', 'completed', 'failed']),
  createdAt: oksTime,
  result: z.union([z.object({ contact_id: z.number(), shows_id: z.number(), contact_created: z.boolean() }), OksRefusal, z.null()]),
});
const notJson = { description: 'The body is not JSON', schema: OksDetail };
const unauthenticated = { description: 'Missing, malformed or unknown API token', schema: OksDetail };
const tooLarge = { description: 'The body is larger than 256 KB', schema: OksDetail };
const workerUnavailable = { description: "No worker answered in time (the API's error shape); try again after Retry-After" };

/** oks's three endpoints as the document shows them. */
export const OKS_FACADE_DOCS: RouteDoc[] = [
  {
    method: 'post',
    path: '/book',
    summary: "oks's own: book a layout (an async task; answers {taskId, status, createdAt})",
    headers: z.object({ 'Idempotency-Key': z.string().optional().meta({ description: 'Makes a retry safe (1 to 200 characters; another value is ignored)' }) }),
    body: DocumentedBookLayoutRequest,
    responses: {
      200: { description: 'The task is created', schema: OksTask.pick({ taskId: true, status: true, createdAt: true }) },
      400: notJson,
      401: unauthenticated,
      413: tooLarge,
      422: { description: 'FastAPI-like: one entry per bad field; or the Idempotency-Key was used for a different request', schema: z.union([OksFieldProblems, OksDetail]) },
      503: workerUnavailable,
    },
  },
  {
    method: 'get',
    path: '/book/status/{task_id}',
    summary: "oks's own: the task's status and result",
    params: z.object({ task_id: z.string() }),
    responses: {
      200: { description: "The task's status; its result once completed or failed", schema: OksTask },
      400: notJson,
      401: unauthenticated,
      404: { description: 'No such task for this client: `{"detail": "Task not found"}`', schema: OksDetail },
      503: workerUnavailable,
    },
  },
  {
    method: 'post',
    path: '/unbook',
    summary: "oks's own: release a held layout by contact_id and shows_id",
    body: UnbookRequest,
    responses: {
      200: { description: 'Released (an empty body)' },
      400: { description: 'Not held (the seed\'s `{detail, api_error}`), or the body is not JSON', schema: z.union([OksRefusal, OksDetail]) },
      401: unauthenticated,
      413: tooLarge,
      422: { description: 'FastAPI-like: one entry per bad field', schema: OksFieldProblems },
      503: workerUnavailable,
    },
  },
];

/** oks writes times with microseconds: `2025-10-28T16:22:42.381514Z`. */
const oksTimestamp = (iso: string): string => iso.replace(/\.(\d{3})Z$/, '.$1000Z');

/** The seed's task status, read from a booking's view. */
function taskStatusFrom(view: BookingView) {
  // Keys in the seed's order: taskId, status, createdAt, result.
  const task = (status: 'pending' | 'processing' | 'completed' | 'failed', result: unknown) => ({
    taskId: view.bookingId,
    status,
    createdAt: oksTimestamp(view.createdAt),
    result,
  });
  const deal = view.result as { contact_id: number; shows_id: number; contact_created: boolean } | null;
  if (deal) return task('completed', { contact_id: deal.contact_id, shows_id: deal.shows_id, contact_created: deal.contact_created });
  if (view.status === 'failed' || view.status === 'cancelled' || view.status === 'expired') {
    const provider = view.error?.providerDetails as { detail?: string; api_error?: string } | undefined;
    return task('failed', {
      detail: provider?.detail ?? 'Failed to create reservation',
      api_error: provider?.api_error ?? view.error?.message ?? `booking ${view.status}`,
    });
  }
  return task(view.status === 'pending' ? 'pending' : 'processing', null);
}

/** FastAPI's 422: one entry per bad field. */
function validateLikeOks<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new FacadeError(422, {
      detail: result.error.issues.map((issue) => ({
        type: issue.code,
        loc: ['body', ...issue.path.map(String)],
        msg: issue.message,
      })),
    });
  }
  return result.data;
}

class FacadeError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super('oks facade error');
  }
}

export function oksFacadeRoutes(service: BookingService, binding: ProviderBinding): Router {
  const router = Router();

  router.post('/book', async (req, res) => {
    const caller = callerOf(req);
    const request = validateLikeOks(BookLayoutRequest, req.body ?? {});
    const key = IdempotencyKey.safeParse(req.header('idempotency-key'));
    const started = await service.start(binding, caller, request, key.success ? key.data : undefined);
    res.status(200).json({ taskId: started.bookingId, status: 'pending', createdAt: oksTimestamp(started.createdAt) });
  });

  router.get('/book/status/:taskId', async (req, res) => {
    const caller = callerOf(req);
    // Task ids are booking ids: anything else is no task (and is never asked of Temporal).
    if (!BookingIdParam.safeParse(req.params.taskId).success) throw new FacadeError(404, { detail: 'Task not found' });
    const view = await service.view(caller, req.params.taskId).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) throw new FacadeError(404, { detail: 'Task not found' });
      throw err;
    });
    if (view.provider !== 'oks') throw new FacadeError(404, { detail: 'Task not found' });
    res.status(200).json(taskStatusFrom(view));
  });

  router.post('/unbook', async (req, res) => {
    const caller = callerOf(req);
    const deal = validateLikeOks(UnbookRequest, req.body ?? {});
    const notBooked = new FacadeError(400, { detail: UNBOOK_FAILED_DETAIL, api_error: DEAL_NOT_BOOKED });
    const {
      bookings: [booking],
    } = await service.list(caller, { provider: 'oks', reference: `oks:shows_id:${deal.shows_id}`, limit: 1 });
    if (!booking) throw notBooked;
    const view = await service.view(caller, booking.bookingId);
    if (view.status !== 'held' || view.references.contact_id !== deal.contact_id) throw notBooked;
    try {
      await service.act(caller, view, 'cancel', cancelAction, { reason: 'unbook requested through the oks API' });
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) throw notBooked;
      throw err;
    }
    res.status(200).end();
  });

  return router;
}

/**
 * Errors in oks's shapes: `{detail}` for auth, lookups, a wrong method and a body
 * that is not JSON, the seed's body for refusals. A 5xx keeps the API's shape.
 */
export function oksFacadeErrors(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (err instanceof FacadeError) res.status(err.status).json(err.body);
  else if (err instanceof ApiError && err.status < 500) res.status(err.status).set(err.headers ?? {}).json({ detail: err.message });
  else if (isClientError(err)) res.status(err.status).json({ detail: err.message });
  else next(err);
}

/** The body parser's refusals (not JSON, too large) carry their 4xx status. */
function isClientError(err: unknown): err is Error & { status: number } {
  return err instanceof Error && 'status' in err && typeof err.status === 'number' && err.status >= 400 && err.status < 500;
}
