/**
 * chrono in the API: agenda booking requests, the answers approvers and apps
 * give (accept, reject, suspend, resize, presence, cancel, delete), durations
 * from CHRONO_* variables, and a read-through of a user's bookings at chrono.
 */
import { Router } from 'express';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import { ChronoClient } from '../../activities/chrono/client';
import { ChronoBookingRequest, PresenceRequest, ResizeRequest, UserBookingsQuery } from '../../activities/chrono/contract';
import type { ProviderEndpoint } from '../../activities/http';
import { durationsFrom } from '../../config/env';
import {
  type ChronoTiming,
  type ReasonRequest,
  accept,
  deleteBooking,
  markPresence,
  reject,
  resize,
  suspend,
  chronoAgendaBooking,
} from '../../workflows/chrono';
import { callerOf, requireRole } from '../auth';
import { providerApiError, validate } from '../errors';
import { type ProviderBinding, type RouteDoc, cancelAction, refuseOtherMethods } from './binding';

/** `CHRONO_RETENTION=90d` and the like: every chrono duration can be set. */
export const chronoTimingFrom = (env: Record<string, string | undefined>): Partial<ChronoTiming> =>
  durationsFrom(env, {
    approvalMs: 'CHRONO_APPROVAL_TIMEOUT',
    retentionMs: 'CHRONO_RETENTION',
    providerDeadlineMs: 'CHRONO_PROVIDER_DEADLINE',
    releaseEscalationMs: 'CHRONO_RELEASE_ESCALATION',
    releaseRetryPauseMs: 'CHRONO_RELEASE_RETRY_PAUSE',
  } satisfies Partial<Record<keyof ChronoTiming, string>>);

const ReasonBody = z.object({ reason: z.string().max(500).optional() }).strict() satisfies z.ZodType<ReasonRequest>;

export interface ChronoBindingOptions {
  /** chrono itself, for the read-through of a user's bookings (CHRONO_URL, CHRONO_TOKEN). */
  endpoint: ProviderEndpoint;
  timing?: Partial<ChronoTiming>;
  /** Fallback for calls made outside a request; each request logs with its own logger. */
  logger?: Logger;
}

export function chronoBinding({ endpoint, timing = {}, logger = pino({ level: 'silent' }) }: ChronoBindingOptions): ProviderBinding {
  const chrono = new ChronoClient(endpoint, logger);
  return {
    provider: 'chrono',
    workflow: chronoAgendaBooking,
    request: ChronoBookingRequest,
    timing,
    routes: [
      {
        mountPath: '/api/v1/providers/chrono',
        router: () => refuseOtherMethods(chronoRoutes(chrono), ROUTE_DOCS),
        docs: ROUTE_DOCS,
      },
    ],
    // Every answer is carried out by the workflow before its update returns.
    actions: {
      accept: {
        update: accept.update.name,
        roles: ['approver'],
        summary: 'Accept a booking on the waiting list: chrono moves it to the main list (the view reports overbooked_places).',
      },
      reject: {
        update: reject.update.name,
        body: ReasonBody,
        roles: ['approver'],
        summary: 'Reject a booking on the waiting list: it is cancelled at chrono.',
      },
      suspend: {
        update: suspend.update.name,
        body: ReasonBody,
        roles: ['approver'],
        summary: 'Move a confirmed booking back to the waiting list, where it awaits approval again.',
      },
      resize: {
        update: resize.update.name,
        body: ResizeRequest,
        roles: ['app', 'approver'],
        summary: 'Change the number of places of a confirmed booking; "sold out" leaves it as it was (409 says why).',
      },
      presence: {
        update: markPresence.update.name,
        signal: markPresence.name,
        body: PresenceRequest,
        roles: ['approver'],
        summary: 'After the event: the user was present, or absent with a reason; extra_data keys are kept by chrono.',
      },
      cancel: cancelAction,
      delete: {
        update: deleteBooking.update.name,
        body: ReasonBody,
        roles: ['approver'],
        summary: 'Delete the booking at chrono on request (it is gone there, not only cancelled).',
      },
    },
  };
}

const ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'get',
    path: '/bookings',
    summary: "A user's bookings at chrono, with the seed's filters, read through",
    query: UserBookingsQuery,
    responses: {
      200: { description: "chrono's bookings of the user, its fields kept", schema: z.object({ bookings: z.array(z.record(z.string(), z.unknown())) }) },
      400: { description: 'Invalid query: every bad filter is named' },
      401: { description: 'Missing, malformed or unknown API token' },
      422: { description: "chrono refused; its words are kept" },
      502: { description: 'chrono refused our credentials or answered badly' },
      503: { description: 'chrono is unreachable; try again after Retry-After' },
    },
  },
];

/** `GET /api/v1/providers/chrono/bookings?user_external_id=...`: chrono's list, read through, the seed's filters passed on. */
function chronoRoutes(chrono: ChronoClient): Router {
  const router = Router();
  router.get('/bookings', async (req, res) => {
    requireRole(callerOf(req), ['app', 'approver'], 'listing chrono bookings');
    const query = validate(UserBookingsQuery, req.query, 'query');
    try {
      res.json({ bookings: await chrono.userBookings(query, req.log) });
    } catch (err) {
      throw providerApiError('chrono', err);
    }
  });
  return router;
}

