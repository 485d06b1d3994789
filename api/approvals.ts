/**
 * `/api/v1/approvals`: the approvals inbox. Every running booking that waits for a person
 * (an approver, the client, an operator), across providers, with the data to decide, the
 * deadline and the time left, and each answer it takes with the JSON schema of its body,
 * so a page can build its form. Found by the BookingWaitingOn search attribute, read
 * through each booking's `status` query (the view is the truth; the attributes may lag).
 */
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { type BookingView, PROVIDERS, type Provider, type Waiting } from '../workflows/booking';
import { BookingClient, BookingDeadline, BookingProvider, BookingStatus, BookingTrip, BookingWaitingOn } from '../workflows/search-attributes';
import { type Caller, callerOf, requireRole } from './auth';
import type { BookingService } from './bookings';
import { ApiError, methodNotAllowed, validate } from './errors';
import type { ActionBinding, ProviderBindings } from './providers/binding';
import { listPage } from './visibility';

/** Who counts as a person: the inbox shows waits on them, not on a provider. */
export const PEOPLE = ['approver', 'client', 'operator'] as const;

export const ApprovalsQuery = z.object({
  provider: z.enum(PROVIDERS).optional(),
  /** The booking's owner (an API client name, as tokens name them). */
  client: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'client is an API client name: letters, digits, _ . - (at most 100)')
    .optional(),
  deadline_before: z.iso.datetime({ offset: true, error: 'deadline_before is an ISO 8601 date-time, e.g. 2026-12-02T18:00:00Z' }).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z
    .string()
    // Temporal's page tokens are a few hundred bytes; a longer one is not a cursor (and keeps URLs under Node's 16 KB of headers).
    .max(512, 'cursor is the nextCursor of a previous page')
    .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'cursor is the nextCursor of a previous page').optional(),
});

interface ApprovalAnswer {
  /** The route's last segment: POST /api/v1/bookings/{bookingId}/{name}. */
  name: string;
  summary: string;
  /** JSON Schema of its body; null: it takes none. */
  schema: Record<string, unknown> | null;
}

interface Approval {
  bookingId: string;
  provider: Provider;
  client: string;
  status: BookingView['status'];
  stage: string;
  waitingFor: Waiting;
  /** Seconds until the deadline when the list was read (negative: passed, the booking is about to act on it). */
  secondsLeft: number | null;
  /** The answers an approver may give it now. */
  answers: ApprovalAnswer[];
  timeline: BookingView['timeline'];
  /** The booking in the Temporal UI, when TEMPORAL_UI_URL is configured. */
  temporalUrl: string | null;
  /** False when its worker did not answer in time: what the search attributes say, no answers for now. */
  readable: boolean;
  /** The trip the booking is a leg of: its answers move the trip. */
  trip: string | null;
}

export interface ApprovalsOptions {
  /** The Temporal UI's address, for links to each booking (TEMPORAL_UI_URL). */
  temporalUiUrl?: string;
}

export function approvalRoutes(service: BookingService, client: Client, bindings: ProviderBindings, options: ApprovalsOptions = {}): Router {
  const router = Router();
  const schemas = new Map<z.ZodType, Record<string, unknown>>();
  const schemaOf = (body: z.ZodType): Record<string, unknown> => {
    let schema = schemas.get(body);
    if (!schema) {
      schema = z.toJSONSchema(body, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
      schemas.set(body, schema);
    }
    return schema;
  };
  const answersFor = (view: BookingView): ApprovalAnswer[] => {
    const offered = new Set(view.waitingFor?.actions ?? []);
    const actions = Object.entries(bindings[view.provider]?.actions ?? {}) as [string, ActionBinding][];
    return actions
      .filter(([name, a]) => (offered.has(name) || offered.has(a.update) || (a.signal !== undefined && offered.has(a.signal))) && a.roles.includes('approver'))
      .map(([name, a]) => ({ name, summary: a.summary, schema: a.body ? schemaOf(a.body) : null }));
  };
  const linkTo = (bookingId: string): string | null =>
    options.temporalUiUrl ? `${options.temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(client.options.namespace)}/workflows/booking-${bookingId}` : null;

  router.get('/', async (req, res) => {
    const caller = callerOf(req);
    requireRole(caller, ['approver'], 'the approvals inbox');
    const query = validate(ApprovalsQuery, req.query, 'query');
    const clauses = [
      'WorkflowId STARTS_WITH "booking-"',
      'ExecutionStatus = "Running"',
      `${BookingWaitingOn.name} IN (${PEOPLE.map((p) => `"${p}"`).join(', ')})`,
    ];
    if (query.provider) clauses.push(`${BookingProvider.name} = "${query.provider}"`);
    if (query.client) clauses.push(`${BookingClient.name} = "${query.client}"`);
    if (query.deadline_before) clauses.push(`${BookingDeadline.name} < "${new Date(query.deadline_before).toISOString()}"`);
    const page = await listPage(client, clauses.join(' AND '), query.limit, query.cursor);
    const now = Date.now();
    const secondsTo = (deadline: string | null | undefined): number | null => (deadline ? Math.round((Date.parse(deadline) - now) / 1000) : null);
    const items = await Promise.all(
      page.executions.map(async (execution): Promise<Approval | undefined> => {
        const bookingId = execution.workflowId.slice('booking-'.length);
        const trip = execution.attribute<string>(BookingTrip) ?? null;
        const view = await readWaiting(service, caller, bookingId);
        if (view === 'gone') return undefined;
        if (view === 'unanswered') {
          // Its worker did not answer in time: the booking is shown as the search attributes have it, without answers for now.
          const deadline = execution.attribute<string>(BookingDeadline) ?? null;
          return {
            bookingId,
            provider: execution.attribute<Provider>(BookingProvider) ?? ('unknown' as Provider),
            client: execution.attribute<string>(BookingClient) ?? 'unknown',
            status: execution.attribute<BookingView['status']>(BookingStatus) ?? 'processing',
            stage: 'unknown',
            waitingFor: { on: execution.attribute<Waiting['on']>(BookingWaitingOn) ?? 'approver', actions: [], deadline, atDeadline: '', what: 'no worker answered in time to read this booking; it is safe, try again shortly' },
            secondsLeft: secondsTo(deadline),
            answers: [],
            timeline: [],
            temporalUrl: linkTo(bookingId),
            readable: false,
            trip,
          };
        }
        if (!view.waitingFor || !(PEOPLE as readonly string[]).includes(view.waitingFor.on)) return undefined;
        return {
          bookingId,
          provider: view.provider,
          client: view.client,
          status: view.status,
          stage: view.stage,
          waitingFor: view.waitingFor,
          secondsLeft: secondsTo(view.waitingFor.deadline),
          answers: answersFor(view),
          timeline: view.timeline,
          temporalUrl: linkTo(bookingId),
          readable: true,
          trip,
        };
      }),
    );
    // Soonest deadline first (within the page: visibility on SQL sorts by start time only).
    const approvals = items.filter((a): a is Approval => a !== undefined).sort((a, b) => (a.secondsLeft ?? Infinity) - (b.secondsLeft ?? Infinity));
    res.json({ approvals, nextCursor: page.nextCursor });
  });
  router.all('/', methodNotAllowed('GET'));
  return router;
}

/** A listed booking's view; `gone` when it is no longer there, `unanswered` when no worker answered in time. */
async function readWaiting(service: BookingService, caller: Caller, bookingId: string): Promise<BookingView | 'gone' | 'unanswered'> {
  try {
    return await service.view(caller, bookingId);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return 'gone';
    if (err instanceof ApiError && err.status === 503) return 'unanswered';
    throw err;
  }
}
