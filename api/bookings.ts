/**
 * The booking operations the API offers, over the Temporal client: start
 * (idempotent), read the view, list, and give an answer (an update with a
 * validator, so an answer at the wrong time is a 409 with the reason).
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  isGrpcServiceError,
  ServiceError,
} from '@temporalio/client';
import type { Logger } from 'pino';
import { v5 as uuidv5 } from 'uuid';
import { type BookingStatus as Status, type BookingView, type Provider, isTerminal, statusQuery, workflowIdFor } from '../workflows/booking';
import { BookingAttention, BookingClient, BookingProvider, BookingStatus, BookingReference } from '../workflows/search-attributes';
import type { Caller } from './auth';
import { ApiError } from './errors';
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
    const requestHash = createHash('sha256').update(JSON.stringify({ provider: binding.provider, request })).digest('hex');
    const bookingId = idempotencyKey ? uuidv5(`${caller.client}\n${idempotencyKey}`, IDEMPOTENCY_NAMESPACE) : randomUUID();
    const workflowId = workflowIdFor(bookingId);
    const { client, taskQueue, logger } = this.options;
    // The API's clock, carried by the booking (view) and its memo (lists): no describe after the start to learn it.
    const createdAt = new Date().toISOString();
    try {
      await client.workflow.start(binding.workflow, {
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
        staticSummary: `${binding.provider} booking for ${caller.client}`,
      });
      logger.info({ bookingId, provider: binding.provider, client: caller.client }, 'booking started');
      return { bookingId, createdAt, created: true };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const described = await client.workflow.getHandle(workflowId).describe();
      if (described.memo?.requestHash !== requestHash) {
        throw new ApiError(
          422,
          'idempotency_key_reused',
          'this Idempotency-Key was already used for a different request; use a new key for a new booking',
        );
      }
      logger.info({ bookingId, provider: binding.provider }, 'idempotent retry found the booking');
      const view = await this.view(caller, bookingId);
      return { bookingId, createdAt: view.createdAt, created: false, view };
    }
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
  async list(caller: Caller, filters: { provider?: Provider; status?: string; reference?: string; limit: number }): Promise<BookingSummary[]> {
    const clauses = [`WorkflowId STARTS_WITH "booking-"`];
    if (caller.role !== 'approver') clauses.push(`${BookingClient.name} = ${quote(caller.client)}`);
    if (filters.provider) clauses.push(`${BookingProvider.name} = ${quote(filters.provider)}`);
    if (filters.status) clauses.push(`${BookingStatus.name} = ${quote(filters.status)}`);
    if (filters.reference) clauses.push(`${BookingReference.name} = ${quote(filters.reference)}`);
    const found: BookingSummary[] = [];
    for await (const execution of this.options.client.workflow.list({ query: clauses.join(' AND '), pageSize: filters.limit })) {
      const attrs = execution.typedSearchAttributes;
      const [provider, status, attention] = [attrs.get(BookingProvider) ?? 'unknown', attrs.get(BookingStatus) ?? 'unknown', attrs.get(BookingAttention)];
      found.push({
        bookingId: execution.workflowId.slice('booking-'.length),
        provider,
        status,
        client: attrs.get(BookingClient) ?? 'unknown',
        createdAt: typeof execution.memo?.createdAt === 'string' ? execution.memo.createdAt : execution.startTime.toISOString(),
        closedAt: execution.closeTime?.toISOString() ?? null,
        // Bookings started before keep their summary in the memo; later ones keep the search attributes it is made of.
        summary: typeof execution.memo?.summary === 'string' ? execution.memo.summary : `${provider} ${status}${attention ? `; ATTENTION: ${attention}` : ''}`,
      });
      if (found.length >= filters.limit) break;
    }
    return found;
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
      const update = action.body
        ? await handle.startUpdate<BookingView, [unknown]>(action.update, { args: [body], updateId, waitForStage: WorkflowUpdateStage.ACCEPTED })
        : await handle.startUpdate<BookingView, []>(action.update, { updateId, waitForStage: WorkflowUpdateStage.ACCEPTED });
      this.options.logger.info({ bookingId, action: name, client: caller.client }, 'answer accepted');
      const outcome = update.result();
      // Past the wait the outcome is no longer this request's business: a later refusal must not go unhandled.
      outcome.catch(() => undefined);
      const carriedOut = await Promise.race([outcome, delay(this.options.settleWaitMs)]);
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

  /**
   * The `status` query answers for running and ended bookings alike (one call).
   * When no worker answers, a booking that ended normally still has its last
   * view as the workflow's result, readable without a worker.
   */
  private async readView(bookingId: string): Promise<BookingView> {
    const { client, queryTimeoutMs } = this.options;
    const handle = client.workflow.getHandle(workflowIdFor(bookingId));
    try {
      return await client.connection.withDeadline(Date.now() + queryTimeoutMs, () => handle.query(statusQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(bookingId);
      // No worker took the query in time: none polls (FAILED_PRECONDITION), the sticky one is gone or busy (the
      // deadline, UNAVAILABLE), or the server gave up waiting for one (CANCELLED, RESOURCE_EXHAUSTED).
      if (!WORKERLESS_QUERY_CODES.has(grpcCodeOf(err) ?? -1)) {
        this.options.logger.error({ bookingId, err }, 'status query failed');
        throw err;
      }
      const described = await handle.describe();
      if (described.status.name === 'COMPLETED') return (await handle.result()) as BookingView;
      // No worker answered (none running, or too busy): the booking itself is safe in Temporal.
      this.options.logger.warn({ bookingId, err }, 'status query unanswered');
      throw new ApiError(503, 'worker_unavailable', 'no booking worker answered in time; the booking is safe, try again shortly', undefined, { 'Retry-After': '5' });
    }
  }
}

/** The gRPC status of a failed call, whether the client wrapped it in a ServiceError or not. */
function grpcCodeOf(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return err.code;
  if (err instanceof ServiceError && isGrpcServiceError(err.cause)) return err.cause.code;
  return undefined;
}

/** Resolves undefined after `ms`, for racing a result against a wait. */
const delay = (ms: number): Promise<undefined> => new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());

function notFound(bookingId: string): ApiError {
  return new ApiError(404, 'not_found', `no booking ${bookingId}`);
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

