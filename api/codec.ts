/**
 * The codec server: Temporal's remote codec protocol (`POST /codec/decode`, `POST /codec/encode`,
 * bodies `{"payloads": [{"metadata": {k: base64}, "data": base64}]}`), so the Temporal UI and the
 * `temporal` CLI show sealed payloads decoded to operators and approvers, and ciphertext to
 * everyone else. The CLI sends `Authorization: Bearer <token>` (`--codec-auth`); the UI, a
 * browser, sends the session cookie set by `POST /codec/session` (the approvals inbox's sign-in
 * sets it), with "include cross-origin credentials" on.
 */
import { type Payload, type PayloadCodec } from '@temporalio/common';
import cors from 'cors';
import express, { type Request, type Response, Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { type Caller, callerFromHeader, requireRole } from './auth';
import { ApiError, methodNotAllowed, validate } from './errors';

export const CODEC_SESSION_COOKIE = 'booking_codec_session';
export const SESSION_MAX_AGE_S = 8 * 60 * 60;
const CODEC_ROLES = ['approver', 'operator'] as const;

const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const WirePayload = z.looseObject({
  metadata: z.record(z.string(), Base64).optional(),
  data: Base64.optional(),
});
/** Temporal's remote codec body, both ways. */
export const CodecPayloads = z.object({ payloads: z.array(WirePayload) });
type WirePayload = z.infer<typeof WirePayload>;

const fromWire = ({ metadata = {}, data }: WirePayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: data === undefined ? undefined : Buffer.from(data, 'base64'),
});

const toWire = ({ metadata, data }: Payload): WirePayload => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  ...(data ? { data: Buffer.from(data).toString('base64') } : {}),
});

function cookieToken(req: Request): string | undefined {
  for (const part of (req.header('cookie') ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === CODEC_SESSION_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

export interface CodecOptions {
  codec: PayloadCodec;
  tokens: Map<string, Caller>;
  logger: Logger;
  /** Origins whose pages (the Temporal UI) may call the codec with credentials (CODEC_ALLOWED_ORIGINS). */
  allowedOrigins: readonly string[];
}

export function codecRoutes(options: CodecOptions): Router {
  const { codec, tokens, logger } = options;
  const router = Router();
  router.use(
    cors({
      origin: [...options.allowedOrigins],
      credentials: true,
      methods: ['POST', 'DELETE'],
      allowedHeaders: ['Content-Type', 'X-Namespace', 'Authorization'],
      maxAge: 600,
    }),
  );
  // A history's payloads in one request: larger than a booking's body.
  router.use(express.json({ limit: '8mb' }));

  /** The caller by bearer token (CLI), else by session cookie (the UI); only operators and approvers open payloads. */
  const staffCaller = (req: Request): Caller => {
    const header = req.header('authorization');
    const cookie = cookieToken(req);
    const caller = callerFromHeader(tokens, header ?? (cookie ? `Bearer ${cookie}` : undefined));
    requireRole(caller, CODEC_ROLES, 'decoding payloads');
    return caller;
  };

  router.post('/decode', async (req: Request, res: Response) => {
    const { payloads } = validate(CodecPayloads, req.body, 'codec request');
    let caller: Caller;
    try {
      caller = staffCaller(req);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      // The UI reads the body whatever the status: it gets the payloads as they were (ciphertext), the CLI a clear 401/403.
      res.status(err.status).json({ ...err.toJSON(), payloads });
      return;
    }
    try {
      const decoded = await codec.decode(payloads.map(fromWire));
      logger.info({ client: caller.client, role: caller.role, payloads: payloads.length }, 'payloads decoded');
      res.json({ payloads: decoded.map(toWire) });
    } catch (err) {
      throw new ApiError(422, 'payload_not_opened', err instanceof Error ? err.message : String(err));
    }
  });

  router.post('/encode', async (req: Request, res: Response) => {
    const { payloads } = validate(CodecPayloads, req.body, 'codec request');
    staffCaller(req);
    const encoded = await codec.encode(payloads.map(fromWire));
    res.json({ payloads: encoded.map(toWire) });
  });

  // A browser's session: the token checked once, then kept in an HttpOnly cookie the UI's codec calls carry.
  router.post('/session', (req: Request, res: Response) => {
    const caller = staffCaller(req);
    const token = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1] ?? cookieToken(req)!;
    res.cookie(CODEC_SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: req.secure,
      path: req.baseUrl || '/',
      maxAge: SESSION_MAX_AGE_S * 1000,
    });
    res.json({ client: caller.client, role: caller.role, expiresInSeconds: SESSION_MAX_AGE_S });
  });
  router.delete('/session', (req: Request, res: Response) => {
    res.clearCookie(CODEC_SESSION_COOKIE, { path: req.baseUrl || '/' });
    res.status(204).end();
  });

  router.all('/decode', methodNotAllowed('POST'));
  router.all('/encode', methodNotAllowed('POST'));
  router.all('/session', methodNotAllowed('POST, DELETE'));
  return router;
}
