/**
 * `/api/v1/trips`: one booking across several providers, all or nothing. Each
 * leg is read exactly as POST /api/v1/bookings reads a booking; the trip is the
 * `trip` workflow, its legs the providers' own booking workflows as its children.
 * Idempotency-Key and scoping work as for bookings.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { tripWorkflowIdFor } from '../common/workflow-id';
import { BOOKING_STATUSES, type BookingView, type CancelRequest, isTerminal, statusQuery, workflowIdFor } from '../workflows/booking';
import { BookingClient, BookingStatus, BookingTrip } from '../workflows/search-attributes';
import { type TripLegStart, type TripTiming, type TripView, cancelTrip, confirmTrip, trip, tripRoles, tripStatusQuery } from '../workflows/trip';
import { type Caller, callerOf, requireRole } from './auth';
import { type BookingServiceOptions, hashOf, idFrom, idFromKey, outcomeWithin, quote, readView, startOnce } from './bookings';
import { ApiError, type FieldProblem, methodNotAllowed, validate } from './errors';
import type { ProviderBindings } from './providers/binding';
import { type CheckedBookingRequest, IdempotencyKey, bookingRequestReader } from './routes';

/** The most legs a trip takes: each is a workflow of its own, released one by one. */
export const MAX_LEGS = 10;

const TripBody = z.object({
  legs: z
    .array(z.unknown(), { error: 'legs is required: a list of booking requests, each as POST /api/v1/bookings takes it' })
    .min(2, 'a trip has at least two legs')
    .max(MAX_LEGS, `a trip has at most ${MAX_LEGS} legs`),
});

export const TripIdParam = z.uuid({ error: 'a tripId is a UUID' });

export const TripListQuery = z.object({
  status: z.enum(BOOKING_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const TripCancelBody = z.object({ reason: z.string().max(500).optional() }).strict() satisfies z.ZodType<CancelRequest>;

export interface StartedTrip {
  tripId: string;
  createdAt: string;
  created: boolean;
  legs: Array<{ leg: number; provider: string; bookingId: string }>;
  status: TripView['status'];
}

export interface TripSummary {
  tripId: string;
  status: string;
  client: string;
  createdAt: string;
  closedAt: string | null;
  summary: string | null;
}

/** A trip as the API shows it: each leg with its booking's own view (null before the leg starts, or while no worker answers for it). */
export type TripAnswer = Omit<TripView, 'legs'> & { legs: Array<TripView['legs'][number] & { view: BookingView | null }> };

export interface TripServiceOptions extends BookingServiceOptions {
  /** The trip's own durations (the confirm wait), from configuration. */
  timing: Partial<TripTiming>;
}

/** The trip operations the API offers, over the Temporal client. */
export class TripService {
  constructor(private readonly options: TripServiceOptions) {}

  /** Starts the trip; the same Idempotency-Key never starts a second one. The legs' bookingIds derive from the trip's id. */
  async start(caller: Caller, legs: CheckedBookingRequest[], idempotencyKey?: string): Promise<StartedTrip> {
    const { client, taskQueue, logger, timing } = this.options;
    const tripId = idFromKey(caller.client, idempotencyKey, 'trip');
    const starts: TripLegStart[] = legs.map(({ binding, request }, index) => ({
      provider: binding.provider,
      bookingId: idFrom(tripId, `leg-${index + 1}`),
      request,
      timing: binding.timing,
    }));
    const workflowId = tripWorkflowIdFor(tripId);
    const requestHash = hashOf(starts.map(({ provider, request }) => ({ provider, request })));
    const createdAt = new Date().toISOString();
    const started = await startOnce(client, workflowId, requestHash, 'trip', createdAt, () =>
      client.workflow.start(trip, {
        workflowId,
        taskQueue,
        args: [{ tripId, client: caller.client, legs: starts, timing }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: BookingStatus, value: 'pending' },
          { key: BookingClient, value: caller.client },
          { key: BookingTrip, value: tripId },
        ],
        memo: { summary: 'trip pending (received)', requestHash, createdAt },
        staticSummary: `trip of ${starts.map((s) => s.provider).join(' + ')} for ${caller.client}`,
      }),
    );
    logger.info({ tripId, client: caller.client, providers: starts.map((s) => s.provider), created: started.created }, started.created ? 'trip started' : 'idempotent retry found the trip');
    const status = started.created ? 'pending' : (await this.view(caller, tripId)).status;
    return { tripId, ...started, status, legs: starts.map((s, index) => ({ leg: index + 1, provider: s.provider, bookingId: s.bookingId })) };
  }

  /** The trip's view, for its owner or an approver. */
  async view(caller: Caller, tripId: string): Promise<TripAnswer> {
    const view = await readView(this.options, tripWorkflowIdFor(tripId), tripStatusQuery, () => notFound(tripId));
    if (caller.role !== 'approver' && view.client !== caller.client) throw notFound(tripId);
    return this.withLegViews(view);
  }

  /** Each leg's own booking view beside the trip's summary of it; a leg not started, or whose worker does not answer now, has none. */
  private async withLegViews(view: TripView): Promise<TripAnswer> {
    const legs = await Promise.all(
      view.legs.map(async (leg) => {
        if (leg.stage === 'not_started') return { ...leg, view: null };
        try {
          return { ...leg, view: await readView(this.options, workflowIdFor(leg.bookingId), statusQuery, () => new ApiError(404, 'not_found', `no booking ${leg.bookingId}`)) };
        } catch (err) {
          if (err instanceof ApiError) return { ...leg, view: null };
          throw err;
        }
      }),
    );
    return { ...view, legs };
  }

  /** Trips visible to the caller, newest first. */
  async list(caller: Caller, filters: z.infer<typeof TripListQuery>): Promise<TripSummary[]> {
    const clauses = [`WorkflowId STARTS_WITH "trip-"`];
    if (caller.role !== 'approver') clauses.push(`${BookingClient.name} = ${quote(caller.client)}`);
    if (filters.status) clauses.push(`${BookingStatus.name} = ${quote(filters.status)}`);
    const found: TripSummary[] = [];
    for await (const execution of this.options.client.workflow.list({ query: clauses.join(' AND '), pageSize: filters.limit })) {
      const attrs = execution.typedSearchAttributes;
      found.push({
        tripId: execution.workflowId.slice('trip-'.length),
        status: attrs.get(BookingStatus) ?? 'unknown',
        client: attrs.get(BookingClient) ?? 'unknown',
        createdAt: execution.startTime.toISOString(),
        closedAt: execution.closeTime?.toISOString() ?? null,
        summary: typeof execution.memo?.summary === 'string' ? execution.memo.summary : null,
      });
      if (found.length >= filters.limit) break;
    }
    return found;
  }

  /** Confirms or cancels the trip: refused at the wrong time (409 with the reason), 202 while the trip is still carrying it out. */
  async act(caller: Caller, tripId: string, answer: 'confirm' | 'cancel', body: CancelRequest): Promise<{ view: TripAnswer; settled: boolean }> {
    const before = await this.view(caller, tripId);
    if (isTerminal(before.status)) {
      const forGood = before.legs.filter((leg) => leg.status === 'completed').map((leg) => `leg ${leg.leg} (${leg.provider}): ${leg.pivot ?? leg.notCancellableReason ?? 'completed'}`);
      const undone = answer === 'cancel' && forGood.length ? `; cannot be undone: ${forGood.join('; ')}` : '';
      throw new ApiError(409, 'conflict', `the trip is ${before.status}: ${answer} is no longer possible${undone}`);
    }
    const handle = this.options.client.workflow.getHandle(tripWorkflowIdFor(tripId));
    try {
      const update =
        answer === 'confirm'
          ? await handle.startUpdate(confirmTrip.update, { waitForStage: WorkflowUpdateStage.ACCEPTED })
          : await handle.startUpdate<TripView, [CancelRequest]>(cancelTrip.update.name, { args: [body], waitForStage: WorkflowUpdateStage.ACCEPTED });
      this.options.logger.info({ tripId, action: answer, client: caller.client }, 'trip answer accepted');
      const carriedOut = await outcomeWithin(update, this.options.settleWaitMs);
      return carriedOut ? { view: await this.withLegViews(carriedOut), settled: true } : { view: await this.view(caller, tripId), settled: false };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new ApiError(409, 'conflict', err.cause?.message ?? err.message);
      if (err instanceof WorkflowNotFoundError) throw new ApiError(409, 'conflict', `the trip is ${before.status}: ${answer} is no longer possible`);
      throw err;
    }
  }
}

function notFound(tripId: string): ApiError {
  return new ApiError(404, 'not_found', `no trip ${tripId}`);
}

/** Every leg read as a booking request; every bad field of every leg named at once (`legs[1].request.seats`); at most one pivot. */
function readLegs(body: unknown, readBookingRequest: ReturnType<typeof bookingRequestReader>): CheckedBookingRequest[] {
  const { legs } = validate(TripBody, body ?? {}, 'trip');
  const problems: FieldProblem[] = [];
  const checked: CheckedBookingRequest[] = [];
  legs.forEach((leg, index) => {
    try {
      checked.push(readBookingRequest(leg, [`legs[${index}]`]));
    } catch (err) {
      if (!(err instanceof ApiError) || !err.fields) throw err;
      problems.push(...err.fields);
    }
  });
  if (problems.length === 0) {
    // The pivot runs last and cannot be undone: a second one could leave the first booked when it fails.
    const pivots = checked.flatMap(({ binding, request }, index) => {
      const why = tripRoles[binding.provider].pivotBecause(request as never);
      return why ? [{ index, provider: binding.provider, why }] : [];
    });
    const [first, ...others] = pivots;
    for (const other of others) {
      problems.push({
        field: `legs[${other.index}]`,
        message: `a trip takes at most one leg that cannot be undone: legs[${first!.index}] (${first!.provider}) is its pivot already, and this ${other.provider} leg cannot be undone either (${other.why})`,
      });
    }
  }
  if (problems.length) throw new ApiError(400, 'invalid_request', `invalid trip: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
  return checked;
}

export function tripRoutes(service: TripService, bindings: ProviderBindings): Router {
  const router = Router();
  const readBookingRequest = bookingRequestReader(bindings);

  router.post('/', async (req, res) => {
    const caller = callerOf(req);
    const legs = readLegs(req.body, readBookingRequest);
    const key = validate(IdempotencyKey, req.header('idempotency-key'), 'Idempotency-Key header', ['Idempotency-Key']);
    const started = await service.start(caller, legs, key);
    res
      .status(started.created ? 202 : 200)
      .location(`${req.baseUrl}/${started.tripId}`)
      .set(started.created ? {} : { 'Idempotent-Replayed': 'true' })
      .json({ tripId: started.tripId, status: started.status, createdAt: started.createdAt, legs: started.legs });
  });

  router.get('/', async (req, res) => {
    res.json({ trips: await service.list(callerOf(req), validate(TripListQuery, req.query, 'query')) });
  });

  router.get('/:tripId', async (req, res) => {
    const tripId = validate(TripIdParam, req.params.tripId, 'path', ['tripId']);
    res.json(await service.view(callerOf(req), tripId));
  });

  for (const answer of ['confirm', 'cancel'] as const) {
    router.post(`/:tripId/${answer}`, async (req, res) => {
      const caller = callerOf(req);
      requireRole(caller, ['app', 'approver'], answer);
      const tripId = validate(TripIdParam, req.params.tripId, 'path', ['tripId']);
      const body = answer === 'cancel' ? validate(TripCancelBody, req.body ?? {}, 'cancel body') : {};
      const { view, settled } = await service.act(caller, tripId, answer, body);
      res.status(settled ? 200 : 202).json(view);
    });
  }

  router.post('/:tripId/:answer', (req): never => {
    throw new ApiError(404, 'unknown_action', `a trip has no "${req.params.answer}" action; it has: confirm, cancel`);
  });

  // A known path asked with another method: 405 naming the ones it takes, not a 404.
  router.all('/', methodNotAllowed('GET, POST'));
  router.all('/:tripId', methodNotAllowed('GET'));
  router.all('/:tripId/:answer', methodNotAllowed('POST'));
  return router;
}
