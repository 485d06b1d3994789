/**
 * qtickets in the API: seat booking requests, the answers an app gives a hold
 * (payment, extend, cancel), durations from QTICKETS_* variables, and the
 * read-through catalogue an app chooses seats from:
 * GET /api/v1/providers/qtickets/events and .../events/:eventId/seats?show_id=.
 */
import { Router } from 'express';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import { QticketsClient, refusalOf } from '../../activities/qtickets/client';
import { SeatBookingRequest } from '../../activities/qtickets/request';
import type { ProviderEndpoint } from '../../activities/http';
import { durationsFrom } from '../../config/env';
import { type ExtendHoldRequest, type QticketsTiming, confirmPayment, defaultQticketsTiming, extendHold, qticketsSeatBooking } from '../../workflows/qtickets';
import { type KnownRefusal, providerApiError, validate } from '../errors';
import { type ProviderBinding, type RouteDoc, cancelAction, refuseOtherMethods } from './binding';

/** `QTICKETS_HOLD=15m` and the like: every qtickets duration can be set. */
export const qticketsTimingFrom = (env: Record<string, string | undefined>): Partial<QticketsTiming> =>
  durationsFrom(env, {
    holdMs: 'QTICKETS_HOLD',
    maxHoldMs: 'QTICKETS_MAX_HOLD',
    extendByMs: 'QTICKETS_EXTEND_BY',
    callDeadlineMs: 'QTICKETS_CALL_DEADLINE',
    releaseEscalationMs: 'QTICKETS_RELEASE_ESCALATION',
    releasePauseMs: 'QTICKETS_RELEASE_RETRY_PAUSE',
  } satisfies Partial<Record<keyof QticketsTiming, string>>);

const ExtendBody = z
  .object({ byMinutes: z.number().int().min(1, 'byMinutes is at least 1').max(24 * 60, 'byMinutes is at most 1440').optional() })
  .strict() satisfies z.ZodType<ExtendHoldRequest>;

export interface QticketsBindingOptions {
  /** qtickets itself, for the catalogue (QTICKETS_URL, QTICKETS_TOKEN). */
  endpoint: ProviderEndpoint;
  timing?: Partial<QticketsTiming>;
  /** Fallback for calls made outside a request; each request logs with its own logger. */
  logger?: Logger;
}

export function qticketsBinding({ endpoint, timing = {}, logger = pino({ level: 'silent' }) }: QticketsBindingOptions): ProviderBinding {
  const qtickets = new QticketsClient(endpoint, logger);
  const maxHoldMinutes = Math.floor((timing.maxHoldMs ?? defaultQticketsTiming.maxHoldMs) / 60_000);
  return {
    provider: 'qtickets',
    workflow: qticketsSeatBooking,
    request: SeatBookingRequest.refine((r) => r.holdMinutes === undefined || r.holdMinutes <= maxHoldMinutes, {
      path: ['holdMinutes'],
      message: `holdMinutes is at most ${maxHoldMinutes} (the longest hold, QTICKETS_MAX_HOLD)`,
    }),
    timing,
    routes: [
      {
        mountPath: '/api/v1/providers/qtickets',
        router: () => refuseOtherMethods(catalogueRoutes(qtickets), CATALOGUE_DOCS),
        docs: CATALOGUE_DOCS,
      },
    ],
    actions: {
      payment: {
        update: confirmPayment.update.name,
        signal: confirmPayment.name,
        roles: ['app', 'approver'],
        summary: 'The client paid for the held seats: every ticket is marked paid at qtickets and the booking completes with the barcodes.',
      },
      extend: {
        update: extendHold.update.name,
        signal: extendHold.name,
        body: ExtendBody,
        roles: ['app', 'approver'],
        summary: 'Hold the seats longer (byMinutes, or the configured extension), within the longest hold (QTICKETS_MAX_HOLD).',
      },
      cancel: cancelAction,
    },
  };
}

const EventIdParam = z.coerce.number({ error: 'eventId is a qtickets event id (a number)' }).int().positive('eventId is a qtickets event id (a number)');
const SeatsQuery = z.object({
  show_id: z.coerce.number({ error: 'show_id is a qtickets show id (a number)' }).int().positive('show_id is a qtickets show id (a number)').optional(),
});

/** What a read-through answers: qtickets' answer, or its refusal in the API's words and status. */
const CATALOGUE_ANSWERS: RouteDoc['responses'] = {
  200: { description: "qtickets' answer" },
  400: { description: 'Invalid request (every bad field is named), or qtickets found it invalid' },
  401: { description: 'Missing, malformed or unknown API token' },
  404: { description: 'qtickets does not know the event, show or seat' },
  409: { description: 'qtickets refused: the seat is not available' },
  422: { description: "qtickets refused; its words are kept" },
  502: { description: 'qtickets refused our credentials or answered badly' },
  503: { description: 'qtickets is unreachable; try again after Retry-After' },
};

const anObject = z.record(z.string(), z.unknown());

const CATALOGUE_DOCS: RouteDoc[] = [
  {
    method: 'get',
    path: '/events',
    summary: 'Upcoming shows on sale, read through',
    responses: { ...CATALOGUE_ANSWERS, 200: { description: "qtickets' shows, as it lists them", schema: z.object({ events: z.array(anObject) }) } },
  },
  {
    method: 'get',
    path: '/events/{eventId}/seats',
    summary: "A show's zones and seats with prices, read through",
    params: z.object({ eventId: z.int().positive().meta({ description: 'a qtickets event id' }) }),
    query: z.object({ show_id: z.int().positive().optional() }),
    responses: { ...CATALOGUE_ANSWERS, 200: { description: "qtickets' zones and seats of the show", schema: anObject } },
  },
];

/** What an app needs to choose seats, read through to qtickets on every call (seats change by the minute). */
function catalogueRoutes(qtickets: QticketsClient): Router {
  const router = Router();
  router.get('/events', async (req, res) => {
    const events = await qtickets.listEvents(req.log).catch(rethrowAsApiError);
    res.json({ events: events.result });
  });
  router.get('/events/:eventId/seats', async (req, res) => {
    const event_id = validate(EventIdParam, req.params.eventId, 'path', ['eventId']);
    const { show_id } = validate(SeatsQuery, req.query, 'query');
    const show = show_id === undefined ? { event_id } : { event_id, show_id };
    res.json(await qtickets.showSeats(show, req.log).catch(rethrowAsApiError));
  });
  return router;
}

/** The seed's refusals as the API's errors; the provider's words are kept. */
const REFUSALS: Record<string, { status: number; code: string }> = {
  EVENT_NOT_FOUND: { status: 404, code: 'event_not_found' },
  SEAT_NOT_FOUND: { status: 404, code: 'seat_not_found' },
  TICKET_NOT_FOUND: { status: 404, code: 'ticket_not_found' },
  SEAT_NOT_AVAILABLE: { status: 409, code: 'seat_not_available' },
  VALIDATION_ERROR: { status: 400, code: 'invalid_request' },
};

/** qtickets's own refusal codes, said with the API's statuses. */
const knownRefusal: KnownRefusal = (failure) => {
  const code = refusalOf(failure)?.code;
  return code ? REFUSALS[code] : undefined;
};

function rethrowAsApiError(err: unknown): never {
  throw providerApiError('qtickets', err, knownRefusal);
}
