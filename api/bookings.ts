/**
 * The booking operations the API offers, over the Temporal client: start
 * (idempotent), read the view, list, and give an answer (an update with a
 * validator, so an answer at the wrong time is a 409 with the reason).
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  type Client,
  type QueryDefinition,
  type WorkflowHandle,
  type WorkflowUpdateHandle,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  isGrpcServiceError,
  ServiceError,
} from '@temporalio/client';
import type { Logger } from 'pino';
import { v5 as uuidv5 } from 'uuid';
import { type AnswerAuthor, type BookingStatus as Status, type BookingView, type Provider, isTerminal, statusQuery, workflowIdFor } from '../workflows/booking';
import { BookingAttention, BookingClient, BookingProvider, BookingStatus, BookingReference, BookingTrip } from '../workflows/search-attributes';
import { tripRoles } from '../workflows/trip';
import ms from 'ms';
import type { Caller } from './auth';
import { ApiError } from './errors';
import { listPage } from './visibility';
import type { ActionBinding, ProviderBinding } from './providers/binding';

/** gRPC status codes, as the Temporal client reports them. */
const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_NOT_FOUND = 5;
const GRPC_RESOURCE_EXHAUSTED = 8;
/** `no poller seen for task queue recently`: no worker has polled for minutes. */
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_UNAVAILABLE = 14;
const WORKERLESS_QUERY_CODES = new Set([GRPC_CANCELLED, GRPC_DEADLINE_EXCEEDED, GRPC_RESOURCE_EXHAUSTED, GRPC_FAILED_PRECONDITION, GRPC_UNAVAILABLE]);

/** Namespace of the UUIDv5 that turns a client's Idempotency-Key into its bookingId. */
const IDEMPOTENCY_NAMESPACE = '6f1c1e52-3f0b-4f5e-9a55-0b7c2f4d9e11';

export interface StartedBooking {
  bookingId: string;
  createdAt: string;
  /** False when an Idempotency-Key found the booking it had already started. */
  created: boolean;
  view?: BookingView;
}

export interface BookingSummary {
  bookingId: string;
  provider: string;
  status: string;
  client: string;
  createdAt: string;
  closedAt: string | null;
  summary: string | null;
  /** The trip the booking is a leg of, if any: its waits are the trip's. */
  trip: string | null;
}

/** What an answer needs of a booking before it is sent, from Temporal's own record of it (no worker asked). */
export interface BookingFacts {
  bookingId: string;
  provider: Provider;
  client: string;
  status: Status;
}

export interface BookingServiceOptions {
  client: Client;
  taskQueue: string;
  logger: Logger;
  /** How long an answer waits for the booking to carry it out before replying 202. */
  settleWaitMs: number;
  /** How long a read waits for a worker to answer the status query. */
  queryTimeoutMs: number;
}

export class BookingService {
  constructor(private readonly options: BookingServiceOptions) {}

  /** Starts the booking's workflow; the same Idempotency-Key never books twice. */
  async start(binding: ProviderBinding, caller: Caller, request: unknown, idempotencyKey?: string): Promise<StartedBooking> {
    const requestHash = hashOf({ provider: binding.provider, request });
    const bookingId = idFromKey(caller.client, idempotencyKey);
    const workflowId = workflowIdFor(bookingId);
    const { client, taskQueue, logger } = this.options;
    // The API's clock, carried by the booking (view) and its memo (lists): no describe after the start to learn it.
    const createdAt = new Date().toISOString();
    const started = await startOnce(client, workflowId, requestHash, 'booking', createdAt, () =>
      client.workflow.start(binding.workflow, {
        workflowId,
        taskQueue,
        // Checked by the binding's schema and configuration: the provider's own request and durations.
        args: [{ bookingId, client: caller.client, request: request as never, timing: binding.timing as never, createdAt }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: BookingProvider, value: binding.provider },
          { key: BookingStatus, value: 'pending' },
          { key: BookingClient, value: caller.client },
        ],
        memo: { requestHash, createdAt },
        // What the Temporal UI's list and the booking's page say of it without a query: ids and the client, never a person.
        staticSummary: bookingSummary(binding.provider, request, caller.client),
        staticDetails: timingDetails(binding.timing),
      }),
    );
    if (started.created) {
      logger.info({ bookingId, provider: binding.provider, client: caller.client }, 'booking started');
      return { bookingId, ...started };
    }
    logger.info({ bookingId, provider: binding.provider }, 'idempotent retry found the booking');
    return { bookingId, ...started, view: await this.view(caller, bookingId) };
  }

  /** The booking view, for the booking's owner or an approver. */
  async view(caller: Caller, bookingId: string): Promise<BookingView> {
    const view = await this.readView(bookingId);
    if (caller.role !== 'approver' && view.client !== caller.client) throw notFound(bookingId);
    return view;
  }

  /**
   * The booking's provider, owner and status as its search attributes have them (a describe: the server
   * answers alone, where a query would wake, or replay, the booking on a worker), for the caller who may see it.
   */
  async facts(caller: Caller, bookingId: string): Promise<BookingFacts> {
    const described = await this.options.client.workflow
      .getHandle(workflowIdFor(bookingId))
      .describe()
      .catch((err: unknown) => {
        throw err instanceof WorkflowNotFoundError ? notFound(bookingId) : err;
      });
    const attrs = described.typedSearchAttributes;
    const [provider, client, status] = [attrs.get(BookingProvider), attrs.get(BookingClient), attrs.get(BookingStatus)];
    // Started without the API's search attributes (from the CLI, or a test's client): the booking itself says.
    if (!provider || !client || !status) return this.view(caller, bookingId);
    if (caller.role !== 'approver' && client !== caller.client) throw notFound(bookingId);
    return { bookingId, provider: provider as Provider, client, status: status as Status };
  }

  /** Bookings visible to the caller, newest first, filtered by search attributes. */
  /** Bookings visible to the caller, newest first, filtered by search attributes; a page at a time (Temporal's page token). */
  async list(
    caller: Caller,
    filters: { provider?: Provider; status?: string; reference?: string; limit: number; cursor?: string },
  ): Promise<{ bookings: BookingSummary[]; nextCursor: string | null }> {
    const clauses = [`WorkflowId STARTS_WITH "booking-"`];
    if (caller.role !== 'approver') clauses.push(`${BookingClient.name} = ${quote(caller.client)}`);
    if (filters.provider) clauses.push(`${BookingProvider.name} = ${quote(filters.provider)}`);
    if (filters.status) clauses.push(`${BookingStatus.name} = ${quote(filters.status)}`);
    if (filters.reference) clauses.push(`${BookingReference.name} = ${quote(filters.reference)}`);
    const page = await listPage(this.options.client, clauses.join(' AND '), filters.limit, filters.cursor);
    const bookings = page.executions.map((execution): BookingSummary => {
      const createdAt = execution.memo<string>('createdAt');
      const summary = execution.memo<string>('summary');
      const provider = execution.attribute<string>(BookingProvider) ?? 'unknown';
      const status = execution.attribute<string>(BookingStatus) ?? 'unknown';
      const attention = execution.attribute<string>(BookingAttention);
      return {
        bookingId: execution.workflowId.slice('booking-'.length),
        provider,
        status,
        client: execution.attribute<string>(BookingClient) ?? 'unknown',
        createdAt: typeof createdAt === 'string' ? createdAt : execution.startTime,
        closedAt: execution.closeTime,
        // Bookings started before keep their summary in the memo; later ones keep the search attributes it is made of.
        summary: typeof summary === 'string' ? summary : `${provider} ${status}${attention ? `; ATTENTION: ${attention}` : ''}`,
        trip: execution.attribute<string>(BookingTrip) ?? null,
      };
    });
    return { bookings, nextCursor: page.nextCursor };
  }

  /**
   * Gives an answer (cancel, complete, accept...) as a Temporal update. Its
   * validator refuses an answer at the wrong time (a 409 with the reason); an
   * accepted answer returns once the booking has carried it out, or, when the
   * provider takes longer than settleWaitMs, the view as it stands (202).
   */
  async act(
    caller: Caller,
    before: BookingFacts,
    name: string,
    action: ActionBinding,
    body: unknown,
    idempotencyKey?: string,
  ): Promise<{ view: BookingView; settled: boolean }> {
    const { bookingId } = before;
    // The update's id: Temporal keeps one outcome per id, so a retried answer gets the first one's.
    const updateId = idempotencyKey ? uuidv5(`${caller.client}\n${bookingId}\n${name}\n${idempotencyKey}`, IDEMPOTENCY_NAMESPACE) : undefined;
    if (isTerminal(before.status) && !updateId) {
      const ended = await this.readView(bookingId);
      // Cancelling what is cancelled already is a no-op, not an error.
      if (name === 'cancel' && ended.status === 'cancelled') return { view: ended, settled: true };
      const reason = name === 'cancel' ? ended.notCancellableReason : undefined;
      throw new ApiError(409, 'conflict', reason ?? `the booking is ${ended.status}: ${name} is no longer possible`);
    }
    const handle = this.options.client.workflow.getHandle(workflowIdFor(bookingId));
    try {
      // Who answers goes last, after the answer's body (none for an answer without one): the booking's audit trail.
      const author: AnswerAuthor = { answeredBy: { client: caller.client, role: caller.role } };
      const update = await handle.startUpdate<BookingView, [unknown, AnswerAuthor]>(action.update, {
        args: [body, author],
        updateId,
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      this.options.logger.info({ bookingId, action: name, client: caller.client }, 'answer accepted');
      const carriedOut = await outcomeWithin(update, this.options.settleWaitMs);
      if (carriedOut) return { view: carriedOut, settled: true };
      return { view: await this.readView(bookingId), settled: false };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new ApiError(409, 'conflict', err.cause?.message ?? err.message);
      if (err instanceof WorkflowNotFoundError || grpcCodeOf(err) === GRPC_NOT_FOUND) {
        // It ended between the read and the answer.
        const after = await this.view(caller, bookingId);
        throw new ApiError(409, 'conflict', `the booking is ${after.status}: ${name} is no longer possible`);
      }
      throw err;
    }
  }

  private readView(bookingId: string): Promise<BookingView> {
    return readView(this.options, workflowIdFor(bookingId), statusQuery, () => notFound(bookingId));
  }
}

/** The id an Idempotency-Key gives what a client starts (`kind` keeps a trip's apart from a booking's); a fresh one without a key. */
export const idFromKey = (client: string, key: string | undefined, kind?: 'trip'): string =>
  key ? uuidv5(kind ? `${client}\n${kind}\n${key}` : `${client}\n${key}`, IDEMPOTENCY_NAMESPACE) : randomUUID();

/** Derived ids: a trip's legs' bookingIds from the trip's id. */
export const idFrom = (parentId: string, part: string): string => uuidv5(`${parentId}\n${part}`, IDEMPOTENCY_NAMESPACE);

/** What an Idempotency-Key's first request was, so the same key with another request is told apart. */
export const hashOf = (request: unknown): string => createHash('sha256').update(JSON.stringify(request)).digest('hex');

/**
 * Starts a workflow once: a retry with the same Idempotency-Key finds the one it
 * started (created: false); the same key with another request is a 422.
 */
export async function startOnce(
  client: Client,
  workflowId: string,
  requestHash: string,
  what: 'booking' | 'trip',
  /** The API's clock at the start, which the workflow and its memo carry: no describe after a start to learn it. */
  createdAt: string,
  start: () => Promise<WorkflowHandle>,
): Promise<{ createdAt: string; created: boolean }> {
  try {
    await start();
    return { createdAt, created: true };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const described = await client.workflow.getHandle(workflowId).describe();
    if (described.memo?.requestHash !== requestHash) {
      throw new ApiError(422, 'idempotency_key_reused', `this Idempotency-Key was already used for a different request; use a new key for a new ${what}`);
    }
    const first = described.memo?.createdAt;
    return { createdAt: typeof first === 'string' ? first : described.startTime.toISOString(), created: false };
  }
}

/**
 * A workflow's view by its `status` query, for running and ended workflows
 * alike (one call). When no worker answers, one that ended normally still has
 * its last view as the workflow's result, readable without a worker.
 */
export async function readView<T>(
  options: Pick<BookingServiceOptions, 'client' | 'queryTimeoutMs' | 'logger'>,
  workflowId: string,
  query: QueryDefinition<T>,
  notFound: () => ApiError,
): Promise<T> {
  const { client, queryTimeoutMs, logger } = options;
  const handle = client.workflow.getHandle(workflowId);
  try {
    return await client.connection.withDeadline(Date.now() + queryTimeoutMs, () => handle.query(query));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound();
    // No worker took the query in time: none polls (FAILED_PRECONDITION), the sticky one is gone or busy (the
    // deadline, UNAVAILABLE), or the server gave up waiting for one (CANCELLED, RESOURCE_EXHAUSTED).
    if (!WORKERLESS_QUERY_CODES.has(grpcCodeOf(err) ?? -1)) {
      logger.error({ workflowId, err }, 'status query failed');
      throw err;
    }
    const described = await handle.describe();
    if (described.status.name === 'COMPLETED') return (await handle.result()) as T;
    // No worker answered (none running, or too busy): the workflow itself is safe in Temporal.
    logger.warn({ workflowId, err }, 'status query unanswered');
    throw new ApiError(503, 'worker_unavailable', 'no booking worker answered in time; the booking is safe, try again shortly', undefined, { 'Retry-After': '5' });
  }
}

/** The gRPC status of a failed call, whether the client wrapped it in a ServiceError or not. */
function grpcCodeOf(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return err.code;
  if (err instanceof ServiceError && isGrpcServiceError(err.cause)) return err.cause.code;
  return undefined;
}

/** An accepted update's outcome if the workflow carries it out within `ms`; undefined if it takes longer. */
export function outcomeWithin<T>(update: WorkflowUpdateHandle<T>, ms: number): Promise<T | undefined> {
  const outcome = update.result();
  // Past the wait the outcome is no longer this request's business: a later refusal must not go unhandled.
  outcome.catch(() => undefined);
  return Promise.race([outcome, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref())]);
}

function notFound(bookingId: string): ApiError {
  return new ApiError(404, 'not_found', `no booking ${bookingId}`);
}

/** A value inside a visibility query's quotes. */
export function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

/** `chrono: 1 place(s) at gymnase-jean-moulin/yoga, for demo-app`: what the provider's role says the request books. */
function bookingSummary(provider: Provider, request: unknown, client: string): string {
  return `${provider}: ${tripRoles[provider].booked(request as never)}, for ${client}`;
}

/** The booking's durations as configured when it started (deadlines, polls), one per line. */
function timingDetails(timing: Record<string, number>): string {
  const lines = Object.entries(timing).map(([name, value]) => `- ${name}: ${ms(value)}`);
  return lines.length ? `Timing when it started:\n${lines.join('\n')}` : 'Timing: the workflow\'s defaults';
}
