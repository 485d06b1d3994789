/**
 * The one HTTP helper every provider client uses: base URL and token from
 * configuration, a timeout on every call, answers parsed with zod, and errors
 * classified once (refusal: not retried, provider's words verbatim;
 * transport, timeout, 5xx: retried by Temporal with backoff).
 * Logs carry method, path, status and duration, never bodies (personal data).
 */
import { ApplicationFailure } from '@temporalio/common';
import qs from 'qs';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { FailureType } from '../common/failure-types';

export interface ProviderEndpoint {
  /** Provider key, for logs and messages. */
  provider: string;
  baseUrl: string;
  token: string;
  /** Per-request timeout; an activity's own timeout is the outer bound. */
  timeoutMs: number;
  /** How request bodies are sent when a request does not say (default JSON); some providers take both. */
  encoding?: BodyEncoding;
}

type BodyEncoding = 'json' | 'form';

export interface ProviderRequest<T> {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  encoding?: BodyEncoding;
  /** Schema of a successful answer. An empty body parses as `undefined`. */
  schema: z.ZodType<T>;
  /** Whether a 2xx answer is really a refusal (providers that answer errors with 200). */
  refusalIn2xx?: (body: unknown) => string | undefined;
  /**
   * The call changes nothing at the provider (default: a GET), so an answer that
   * cannot be read is asked again instead of failing the booking; after a create
   * it is an unknown outcome, for the booking's release to resolve.
   */
  readOnly?: boolean;
}

/** The parts of a provider's error answer: its own message, verbatim. */
export type RefusalReader = (status: number, body: unknown) => string | undefined;

/** What a provider does differently from the common case. */
export interface HttpClientOptions {
  /** Reads a JSON answer; a provider whose integers exceed 2^53 reads them exactly. Default: JSON.parse. */
  parseJson?: (text: string) => unknown;
  /**
   * Whether a 401/403 answer means our credentials were refused (default: always).
   * A provider that refuses business requests with 403 (a blocked user) says which are refusals.
   */
  isCredentialsRejection?: (status: number, body: unknown) => boolean;
}

export class ProviderHttpClient {
  constructor(
    private readonly endpoint: ProviderEndpoint,
    private readonly logger: Logger,
    /** Reads the provider's own message out of its error answers. */
    private readonly readRefusal: RefusalReader,
    private readonly options: HttpClientOptions = {},
  ) {}

  async request<T>(req: ProviderRequest<T>, logger: Logger = this.logger): Promise<T> {
    const { provider } = this.endpoint;
    const url = new URL(req.path.replace(/^\//, ''), this.endpoint.baseUrl.endsWith('/') ? this.endpoint.baseUrl : `${this.endpoint.baseUrl}/`);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${this.endpoint.token}`, accept: 'application/json' };
    let body: string | undefined;
    if (req.body !== undefined) {
      if ((req.encoding ?? this.endpoint.encoding) === 'form') {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        // Nested fields in bracket notation (`blocks[0][tariff]=...`), as the providers read them.
        body = qs.stringify(req.body, { arrayFormat: 'indices', encodeValuesOnly: true, skipNulls: true });
      } else {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(req.body);
      }
    }

    const started = performance.now();
    const log = logger.child({ provider, method: req.method, path: url.pathname });
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { method: req.method, headers, body, signal: AbortSignal.timeout(this.endpoint.timeoutMs) });
      text = await response.text();
    } catch (err) {
      const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${this.endpoint.timeoutMs} ms` : describeNetworkError(err);
      log.warn({ durationMs: Math.round(performance.now() - started), reason }, 'provider unreachable');
      throw ApplicationFailure.retryable(`${provider} is unreachable: ${reason}`, FailureType.ProviderUnavailable);
    }
    const durationMs = Math.round(performance.now() - started);
    const parsedBody = parseBody(text, this.options.parseJson ?? JSON.parse);
    log.info({ status: response.status, durationMs }, 'provider answered');

    if (response.status >= 500 || response.status === 429 || response.status === 408) {
      throw ApplicationFailure.retryable(
        `${provider} answered ${response.status}: ${this.readRefusal(response.status, parsedBody) ?? (text.slice(0, 200) || 'no details')}`,
        FailureType.ProviderUnavailable,
      );
    }
    if ((response.status === 401 || response.status === 403) && (this.options.isCredentialsRejection?.(response.status, parsedBody) ?? true)) {
      throw ApplicationFailure.create({
        message: `${provider} refused our credentials (${response.status}): ${this.readRefusal(response.status, parsedBody) ?? 'no details'}`,
        type: FailureType.ProviderAuthRejected,
        nonRetryable: true,
      });
    }
    if (response.status >= 400) {
      throw ApplicationFailure.create({
        message: this.readRefusal(response.status, parsedBody) ?? `${provider} refused the request (${response.status})`,
        type: FailureType.ProviderRefused,
        nonRetryable: true,
        details: [{ status: response.status, body: parsedBody }],
      });
    }
    const refusal = req.refusalIn2xx?.(parsedBody);
    if (refusal !== undefined) {
      throw ApplicationFailure.create({
        message: refusal,
        type: FailureType.ProviderRefused,
        nonRetryable: true,
        details: [{ status: response.status, body: parsedBody }],
      });
    }
    const result = req.schema.safeParse(parsedBody);
    if (!result.success) {
      log.error({ issues: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'provider answer breaks its contract');
      throw ApplicationFailure.create({
        nonRetryable: !(req.readOnly ?? req.method === 'GET'),
        message: `${provider} answered ${req.method} ${url.pathname} with something its contract does not allow: ${result.error.issues
          .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
          .join('; ')}`,
        type: FailureType.ProviderContractViolation,
      });
    }
    return result.data;
  }
}

function parseBody(text: string, parseJson: (text: string) => unknown): unknown {
  if (text.trim() === '') return undefined;
  try {
    return parseJson(text);
  } catch {
    return text;
  }
}

function describeNetworkError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    if (cause instanceof Error) return `${err.message} (${cause.message})`;
    return err.message;
  }
  return String(err);
}
