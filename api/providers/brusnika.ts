/**
 * brusnika in the API: premise and visit requests (`kind`), durations from
 * BRUSNIKA_* variables, and a read-through
 * catalogue at /api/v1/providers/brusnika/{cities,projects,buildings,sections,premises,time-slots}
 * so an agent's app finds a free premise or slot through this API alone.
 * Catalogue answers keep Brusnika's fields and paging (`{data, meta}`); a premise's
 * `price` is a string of its exact digits, because a JSON number above 2^53 is
 * rounded by most clients.
 */
import { Router } from 'express';
import { z } from 'zod';
import { BrusnikaClient } from '../../activities/brusnika/client';
import {
  BrusnikaBookingRequest,
  BuildingsQuery,
  CitiesQuery,
  ClientDetails,
  CreateAgencyRequest,
  PremisesQuery,
  ProjectsQuery,
  SectionsQuery,
  TimeSlotsQuery,
} from '../../activities/brusnika/contract';
import type { ProviderEndpoint } from '../../activities/http';
import { durationsFrom } from '../../config/env';
import { type BrusnikaTiming, brusnikaBooking } from '../../workflows/brusnika';
import { providerApiError, validate } from '../errors';
import { cancelAction, type ProviderBinding, type RouteDoc, refuseOtherMethods } from './binding';
import { NOT_BLANK } from '../openapi';

// A client's name and an agency's title are trimmed before they are checked: the OpenAPI document says they are not blank.
z.globalRegistry.add(ClientDetails.shape.fullname, { pattern: NOT_BLANK });
z.globalRegistry.add(CreateAgencyRequest.shape.title, { pattern: NOT_BLANK });

/** `BRUSNIKA_DECISION_DEADLINE=2h` and the like: every brusnika duration can be changed. */
export const brusnikaTimingFrom = (env: Record<string, string | undefined>): Partial<BrusnikaTiming> =>
  durationsFrom(env, {
    pollInitialMs: 'BRUSNIKA_POLL_INITIAL',
    pollMaxMs: 'BRUSNIKA_POLL_MAX',
    callDeadlineMs: 'BRUSNIKA_CALL_DEADLINE',
    decisionDeadlineMs: 'BRUSNIKA_DECISION_DEADLINE',
    bookedWatchMs: 'BRUSNIKA_BOOKED_WATCH',
    releaseEscalationMs: 'BRUSNIKA_RELEASE_ESCALATION',
  } satisfies Partial<Record<keyof BrusnikaTiming, string>>);

/** Read-through lists: the filters are checked here (unknown ones are refused, not ignored), then asked of Brusnika. */
function brusnikaCatalogueRoutes(endpoint: ProviderEndpoint): Router {
  const router = Router();
  const list = <S extends z.ZodType, R>(path: string, query: S, read: (client: BrusnikaClient, query: z.infer<S>) => Promise<R>) => {
    router.get(path, async (req, res) => {
      const filters = validate(query, req.query, 'query');
      try {
        // A client per request logs with the request's id; it holds no connection of its own.
        res.json(await read(new BrusnikaClient(endpoint, req.log), filters));
      } catch (err) {
        throw providerApiError('brusnika', err);
      }
    });
  };
  list('/cities', CitiesQuery.strict(), (client, q) => client.cities(q));
  list('/projects', ProjectsQuery.strict(), (client, q) => client.projects(q));
  list('/buildings', BuildingsQuery.strict(), (client, q) => client.buildings(q));
  list('/sections', SectionsQuery.strict(), (client, q) => client.sections(q));
  list('/premises', PremisesQuery.strict(), (client, q) => client.premises(q));
  list('/time-slots', TimeSlotsQuery.strict(), (client, q) => client.freeTimeSlots(q));
  return router;
}

/** What a read-through answers: Brusnika's page, or its refusal in the API's words. */
const CATALOGUE_ANSWERS: RouteDoc['responses'] = {
  200: {
    description: "Brusnika's page, its fields kept (a premise's price is a string of its exact digits)",
    schema: z.looseObject({ data: z.array(z.record(z.string(), z.unknown())), meta: z.record(z.string(), z.unknown()).optional() }),
  },
  400: { description: 'Invalid query: every bad or unknown filter is named' },
  401: { description: 'Missing, malformed or unknown API token' },
  422: { description: "Brusnika refused; its words are kept" },
  502: { description: 'Brusnika refused our credentials or answered badly' },
  503: { description: 'Brusnika is unreachable; try again after Retry-After' },
};

const CATALOGUE_DOCS: RouteDoc[] = [
  { method: 'get', path: '/cities', summary: 'Cities', query: CitiesQuery, responses: CATALOGUE_ANSWERS },
  { method: 'get', path: '/projects', summary: 'Projects', query: ProjectsQuery, responses: CATALOGUE_ANSWERS },
  { method: 'get', path: '/buildings', summary: 'Buildings, with free counts by type', query: BuildingsQuery, responses: CATALOGUE_ANSWERS },
  { method: 'get', path: '/sections', summary: 'Sections', query: SectionsQuery, responses: CATALOGUE_ANSWERS },
  {
    method: 'get',
    path: '/premises',
    summary: 'Premises, with the filters an agent needs (prices are exact decimal strings)',
    query: PremisesQuery,
    responses: CATALOGUE_ANSWERS,
  },
  { method: 'get', path: '/time-slots', summary: 'Free time slots for visits', query: TimeSlotsQuery, responses: CATALOGUE_ANSWERS },
];

export function brusnikaBinding({ endpoint, timing = {} }: { endpoint: ProviderEndpoint; timing?: Partial<BrusnikaTiming> }): ProviderBinding {
  return {
    provider: 'brusnika',
    workflow: brusnikaBooking,
    request: BrusnikaBookingRequest,
    timing,
    routes: [
      {
        mountPath: '/api/v1/providers/brusnika',
        router: () => refuseOtherMethods(brusnikaCatalogueRoutes(endpoint), CATALOGUE_DOCS),
        docs: CATALOGUE_DOCS,
      },
    ],
    actions: {
      cancel: cancelAction,
    },
  };
}
