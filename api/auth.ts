/**
 * Bearer-token auth. `API_TOKENS` lists `token:client[:role]` entries; the
 * client name becomes the booking's owner (and the `BookingClient` search
 * attribute). Apps see and act on their own bookings; approvers on all;
 * operators only read sealed payloads through the codec (the Temporal UI and CLI).
 */
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { ApiError } from './errors';

const ROLES = ['app', 'approver', 'operator'] as const;
export type Role = (typeof ROLES)[number];

export interface Caller {
  client: string;
  role: Role;
}

const TokenEntry = z
  .string()
  .transform((entry) => entry.trim().split(':'))
  .pipe(
    z.union([
      z.tuple([z.string().min(8, 'a token is at least 8 characters'), z.string().regex(/^[\w.-]+$/, 'a client name is letters, digits, . _ -')]),
      z.tuple([z.string().min(8, 'a token is at least 8 characters'), z.string().regex(/^[\w.-]+$/, 'a client name is letters, digits, . _ -'), z.enum(ROLES)]),
    ]),
  );

/** `API_TOKENS`: comma-separated `token:client[:role]`, role `app` (default), `approver` or `operator`. */
export const ApiTokens = z
  .string({ error: 'is required: comma-separated token:client[:role]' })
  .min(1, 'is required: comma-separated token:client[:role]')
  .transform((value, ctx) => {
    const tokens = new Map<string, Caller>();
    for (const raw of value.split(',').filter((e) => e.trim())) {
      const parsed = TokenEntry.safeParse(raw);
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: `entry "${raw.split(':')[1] ?? '?'}": ${parsed.error.issues[0]?.message ?? 'invalid'} (expected token:client[:role])` });
        continue;
      }
      const [token, client, role] = parsed.data;
      tokens.set(token, { client, role: role ?? 'app' });
    }
    return tokens;
  });

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

/** The caller a request's `Authorization: Bearer <token>` names; a missing, malformed or unknown token is a 401. */
export function callerFromHeader(tokens: Map<string, Caller>, header: string | undefined): Caller {
  if (!header) throw new ApiError(401, 'unauthenticated', 'missing Authorization: Bearer <token> header');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new ApiError(401, 'unauthenticated', 'the Authorization header must be "Bearer <token>"');
  const caller = tokens.get(match[1]!);
  if (!caller) throw new ApiError(401, 'unauthenticated', 'unknown API token');
  return caller;
}

/** The bookings API's auth: apps and approvers (an operator's token opens the codec only). */
export function authenticate(tokens: Map<string, Caller>) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const caller = callerFromHeader(tokens, req.header('authorization'));
    requireRole(caller, ['app', 'approver'], 'the bookings API');
    req.caller = caller;
    next();
  };
}

export function callerOf(req: Request): Caller {
  if (!req.caller) throw new ApiError(401, 'unauthenticated', 'missing Authorization: Bearer <token> header');
  return req.caller;
}

export function requireRole(caller: Caller, roles: readonly Role[], what: string): void {
  if (!roles.includes(caller.role)) {
    throw new ApiError(403, 'forbidden', `${what} needs the ${roles.join(' or ')} role; this token is ${caller.role}`);
  }
}
