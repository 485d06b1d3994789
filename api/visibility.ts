/**
 * One page of a visibility list, with Temporal's own page token as the cursor, so a
 * client pages through bookings exactly as Temporal does (no offset that shifts while
 * bookings start and end).
 */
import { createHash } from 'node:crypto';
import { type Client, isGrpcServiceError } from '@temporalio/client';
import { type Payload, defaultPayloadConverter } from '@temporalio/common';
import { ApiError } from './errors';

interface ListedExecution {
  workflowId: string;
  startTime: string;
  closeTime: string | null;
  /** A search attribute's value as the workflow last set it (undefined when unset). */
  attribute<T>(key: { name: string }): T | undefined;
  /** A memo field as the workflow last set it. */
  memo<T>(name: string): T | undefined;
}

const GRPC_INVALID_ARGUMENT = 3;

export interface VisibilityPage {
  executions: ListedExecution[];
  /** Give it back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

const isoOf = (time: { seconds?: unknown; nanos?: number | null } | null | undefined): string | null =>
  time?.seconds == null ? null : new Date(Number(time.seconds) * 1000 + Math.floor((time.nanos ?? 0) / 1e6)).toISOString();

/** A cursor is Temporal's page token with a checksum of the list it belongs to: garbage, or a cursor of another list, is refused before it reaches Temporal. */
const checksum = (query: string, token: Buffer): string => createHash('sha256').update(query).update('\n').update(token).digest('base64url').slice(0, 16);

function badCursor(why: string): ApiError {
  return new ApiError(400, 'invalid_request', `invalid query: cursor: ${why}`, [{ field: 'cursor', message: why }]);
}

export async function listPage(client: Client, query: string, pageSize: number, cursor?: string): Promise<VisibilityPage> {
  let nextPageToken: Buffer | undefined;
  if (cursor !== undefined) {
    const [token, sum] = cursor.split('.');
    nextPageToken = Buffer.from(token ?? '', 'base64url');
    if (nextPageToken.length === 0 || sum !== checksum(query, nextPageToken)) throw badCursor('not a cursor of this list (give back the nextCursor of its previous page)');
  }
  let answer;
  try {
    answer = await client.workflowService.listWorkflowExecutions({ namespace: client.options.namespace, query, pageSize, nextPageToken });
  } catch (err) {
    // A token Temporal no longer takes (its visibility store moved on): the list must start again.
    if (cursor !== undefined && isGrpcServiceError(err) && err.code === GRPC_INVALID_ARGUMENT) throw badCursor('expired: start the list again');
    throw err;
  }
  // Memo is sealed like every payload (search attributes are not): opened by the client's codecs, newest last.
  const { payloadConverter, payloadCodecs } = client.options.loadedDataConverter;
  const open = async (fields: Record<string, Payload>): Promise<Record<string, unknown>> => {
    const names = Object.keys(fields);
    let payloads = names.map((name) => fields[name]!);
    for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
    return Object.fromEntries(names.map((name, i) => [name, payloadConverter.fromPayload(payloads[i]!)]));
  };
  const memos = await Promise.all((answer.executions ?? []).map((raw) => open((raw.memo?.fields ?? {}) as Record<string, Payload>)));
  const executions = (answer.executions ?? []).map((raw, i): ListedExecution => {
    const fields = raw.searchAttributes?.indexedFields ?? {};
    const memo = memos[i]!;
    return {
      workflowId: raw.execution?.workflowId ?? '',
      startTime: isoOf(raw.startTime) ?? '',
      closeTime: isoOf(raw.closeTime),
      attribute: <T>(key: { name: string }): T | undefined => {
        const payload = fields[key.name];
        return payload ? defaultPayloadConverter.fromPayload<T>(payload) : undefined;
      },
      memo: <T>(name: string): T | undefined => memo[name] as T | undefined,
    };
  });
  const token = answer.nextPageToken;
  if (!token || token.length === 0) return { executions, nextCursor: null };
  const next = Buffer.from(token);
  return { executions, nextCursor: `${next.toString('base64url')}.${checksum(query, next)}` };
}
