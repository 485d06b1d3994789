/**
 * oks's own three endpoints, served by the orchestrator's workflows, so an
 * existing oks client can point at this service unchanged. Answers follow the
 * seed's examples field for field; errors keep oks's `{detail, api_error}` and
 * FastAPI-style shapes (see activities/oks/contract.ts for the assumptions).
 */
import { type NextFunction, type Request, type Response, Router } from 'express';
import type { z } from 'zod';
import { BookLayoutRequest, DEAL_NOT_BOOKED, UNBOOK_FAILED_DETAIL, UnbookRequest } from '../../activities/oks/contract';
import type { BookingView } from '../../workflows/booking';
import { callerOf } from '../auth';
import type { BookingService } from '../bookings';
import { ApiError } from '../errors';
import { type ProviderBinding, cancelAction } from './binding';
import { IdempotencyKey } from '../routes';

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
    const view = await service.view(callerOf(req), req.params.taskId).catch((err: unknown) => {
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
    const [booking] = await service.list(caller, { provider: 'oks', reference: `oks:shows_id:${deal.shows_id}`, limit: 1 });
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

/** Errors in oks's shapes: `{detail}` for auth and lookups, the seed's body for refusals. */
export function oksFacadeErrors(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (err instanceof FacadeError) res.status(err.status).json(err.body);
  else if (err instanceof ApiError && err.status < 500) res.status(err.status).json({ detail: err.message });
  else next(err);
}
