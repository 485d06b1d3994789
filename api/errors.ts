/**
 * The API's one error shape: `{"error": {"code", "message", "fields"?}}`.
 * Validation errors name every bad field with its path in the request.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { FailureType } from '../common/failure-types';

export interface FieldProblem {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldProblem[],
    /** Headers the answer carries (Retry-After on a 503). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}) } };
  }
}

function fieldProblems(error: z.ZodError, prefix: string[] = []): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: [...prefix, ...issue.path.map(String)].join('.') || '(body)',
    message: issue.message,
  }));
}

/** Parses with zod or answers 400 naming each bad field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string, prefix: string[] = []): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const fields = fieldProblems(result.error, prefix);
    throw new ApiError(400, 'invalid_request', `invalid ${what}: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, fields);
  }
  return result.data;
}

/** How a provider's refusal, known by its own code, is said (e.g. an unknown event is a 404). */
export type KnownRefusal = (failure: ApplicationFailure) => { status: number; code: string } | undefined;

/**
 * A provider's failure (a read-through catalogue call) as the API's error, the
 * same status for the same failure everywhere, the provider's words kept:
 * refused 422 (or what `known` says), credentials refused 502, unreachable 503,
 * an answer its contract does not allow 502. Anything else is not a provider's
 * failure and is returned as it is.
 */
export function providerApiError(provider: string, err: unknown, known?: KnownRefusal): unknown {
  if (!(err instanceof ApplicationFailure)) return err;
  switch (err.type) {
    case FailureType.ProviderRefused: {
      const refusal = known?.(err) ?? { status: 422, code: 'provider_refused' };
      return new ApiError(refusal.status, refusal.code, `${provider}: ${err.message}`);
    }
    case FailureType.ProviderAuthRejected:
      return new ApiError(502, 'provider_auth_rejected', `${err.message}; an operator must check ${provider.toUpperCase()}_TOKEN`);
    case FailureType.ProviderUnavailable:
      return new ApiError(503, 'provider_unavailable', `${err.message}; try again shortly`, undefined, { 'Retry-After': '5' });
    default:
      return new ApiError(502, 'provider_error', `${provider}: ${err.message}`);
  }
}

/** A known path asked with another method: 405 with Allow naming the ones it takes, not a 404. */
export function methodNotAllowed(allow: string) {
  return (req: Request): never => {
    throw new ApiError(405, 'method_not_allowed', `${req.method} is not allowed here; use ${allow}`, undefined, { Allow: allow });
  };
}

export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (err instanceof ApiError) {
      res.status(err.status).set(err.headers ?? {}).json(err.toJSON());
      return;
    }
    // Body parser errors (malformed JSON, too large) carry their status.
    const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : 500;
    if (status >= 400 && status < 500) {
      res.status(status).json(new ApiError(status, 'invalid_request', err instanceof Error ? err.message : 'invalid request').toJSON());
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'request failed');
    res.status(500).json(new ApiError(500, 'internal_error', 'something went wrong on our side; the booking state is unchanged or safe in Temporal').toJSON());
  };
}
