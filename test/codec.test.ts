/**
 * Personal data sealed inside Temporal: what Temporal's history holds is read raw (the
 * `temporal` CLI without the codec) and holds no name, phone or email; read through the API's
 * codec server with an operator's or approver's token, it does. Keys rotate; a key that is
 * missing or wrong is said plainly; a sealed history still replays with its key.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { METADATA_ENCODING_KEY, type Payload, defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { chronoBinding } from '../api/providers/chrono';
import { CODEC_SESSION_COOKIE } from '../api/codec';
import { bookingDataConverter } from '../common/data-converter';
import { KEY_ID_METADATA, PayloadKeyError, SealingCodec, isSealed } from '../common/payload-codec';
import { ConfigError, PayloadKeys, parse, PayloadConfig } from '../config/env';
import { ensureTemporalCli, projectRoot } from '../scripts/temporal-cli';
import { type ChronoState, addChronoEvent, startChronoSimulator } from '../simulators/chrono';
import type { RunningSimulator } from '../simulators/harness';
import { type BookingView, workflowIdFor } from '../workflows/booking';
import { CHRONO_PERSON, chronoRequest } from './support/requests';
import { APPROVER_TOKEN, APP_TOKEN, OPERATOR_TOKEN, type Stack, TEST_UI_ORIGIN, eventually, startStack } from './support/stack';

const run = promisify(execFile);
const key = (id: string) => ({ id, key: randomBytes(32) });
const json = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const text = (payload: Payload): string => Buffer.from(payload.data ?? []).toString('utf8');

/** What the codec server answers: payloads on the wire, or an error (with the payloads as they came). */
interface CodecAnswer {
  payloads: { metadata: Record<string, string>; data: string }[];
  error: { code: string; message: string; fields?: unknown };
}
/** The encoding of every payload in a history as JSON, search attributes and patch markers (the SDK's, in clear) left out. */
function payloadEncodings(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(payloadEncodings);
  if (typeof node !== 'object' || node === null) return [];
  const encoding = (node as { metadata?: { encoding?: unknown } }).metadata?.encoding;
  if (typeof encoding === 'string') return [Buffer.from(encoding, 'base64').toString()];
  return Object.entries(node).flatMap(([k, v]) => (k === 'searchAttributes' || k === 'patch-data' ? [] : payloadEncodings(v)));
}

/** Every payload's data in a history as JSON, as text (JSON payloads), joined. */
function payloadTexts(node: unknown): string {
  if (Array.isArray(node)) return node.map(payloadTexts).join('\n');
  if (typeof node !== 'object' || node === null) return '';
  const { metadata, data } = node as { metadata?: unknown; data?: unknown };
  if (metadata && typeof data === 'string') return Buffer.from(data, 'base64').toString();
  return Object.values(node).map(payloadTexts).join('\n');
}

const answer = async (res: Response): Promise<CodecAnswer> => (await res.json()) as CodecAnswer;

describe('the payload codec', () => {
  test('seals a payload so that nothing of it shows, names its key, and opens it again', async () => {
    const codec = new SealingCodec([key('k1')]);
    const [sealed] = await codec.encode([json(CHRONO_PERSON)]);
    expect(isSealed(sealed!)).toBe(true);
    expect(Buffer.from(sealed!.metadata![KEY_ID_METADATA]!).toString()).toBe('k1');
    for (const value of Object.values(CHRONO_PERSON)) expect(text(sealed!)).not.toContain(value);
    const [opened] = await codec.decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual(CHRONO_PERSON);
    // The same value sealed twice differs (a fresh IV each time).
    const [again] = await codec.encode([json(CHRONO_PERSON)]);
    expect(Buffer.compare(Buffer.from(again!.data!), Buffer.from(sealed!.data!))).not.toBe(0);
  });

  test('rotates: the first key seals, an older key still opens what it sealed', async () => {
    const old = key('2026-01');
    const [byOld] = await new SealingCodec([old]).encode([json('sealed last year')]);
    const rotated = new SealingCodec([key('2026-12'), old]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([byOld!]))[0]!)).toBe('sealed last year');
    const [byNew] = await rotated.encode([json('sealed today')]);
    expect(Buffer.from(byNew!.metadata![KEY_ID_METADATA]!).toString()).toBe('2026-12');
  });

  test('a payload whose key is gone, or another key under its id, is refused with the key named', async () => {
    const [sealed] = await new SealingCodec([key('k1')]).encode([json('x')]);
    await expect(new SealingCodec([key('k2')]).decode([sealed!])).rejects.toThrow(
      new PayloadKeyError('a payload sealed with key "k1" cannot be opened: it is not among the configured keys (k2); keep retired keys in PAYLOAD_KEYS'),
    );
    await expect(new SealingCodec([key('k1')]).decode([sealed!])).rejects.toThrow(/sealed with key "k1" does not open with the configured key "k1": wrong key/);
  });

  test('a payload sealed before sealing began passes through as it is', async () => {
    const plain = json({ recorded: 'before' });
    expect(await new SealingCodec([key('k1')]).decode([plain])).toEqual([plain]);
  });

  test('PAYLOAD_KEYS: missing, short, unnamed or repeated keys are configuration errors naming the problem', () => {
    const good = randomBytes(32).toString('base64');
    expect(PayloadKeys.parse(`new:${good}, old:${randomBytes(32).toString('base64')}`).map((k) => k.id)).toEqual(['new', 'old']);
    const problems = (env: Record<string, string>) => {
      try {
        parse(PayloadConfig, env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(problems({})).toEqual([expect.stringMatching(/^PAYLOAD_KEYS: is required: comma-separated keyId:base64Key.*openssl rand -base64 32/)]);
    expect(problems({ PAYLOAD_KEYS: `k1:${randomBytes(16).toString('base64')}` })).toEqual([expect.stringMatching(/^PAYLOAD_KEYS: key "k1" must be 32 bytes in base64/)]);
    expect(problems({ PAYLOAD_KEYS: good })).toEqual([expect.stringMatching(/^PAYLOAD_KEYS: an entry has no key id/)]);
    expect(problems({ PAYLOAD_KEYS: `k1:${good},k1:${good}` })).toEqual(['PAYLOAD_KEYS: key id "k1" is given twice']);
  });

  test.each([['worker/main.ts'], ['api/main.ts']])('%s without PAYLOAD_KEYS stops at start-up, saying what to set', async (entry) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, API_TOKENS: 'start-up-token:someone', TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const failed = await run(process.execPath, ['--import', 'tsx', entry], { cwd: projectRoot, env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('PAYLOAD_KEYS: is required');
  });
});

describe('bookings in Temporal, read raw and through the codec server', () => {
  let chrono: RunningSimulator<ChronoState>;
  let stack: Stack;
  let cli: string;

  beforeAll(async () => {
    const found = await ensureTemporalCli();
    if (!found.path) throw new Error('these tests read histories with the temporal CLI: set TEMPORAL_CLI');
    cli = found.path;
    chrono = await startChronoSimulator({ token: 'chrono-token' });
    const endpoint = { provider: 'chrono' as const, baseUrl: chrono.url, token: 'chrono-token', timeoutMs: 2_000 };
    stack = await startStack({
      providers: { chrono: endpoint },
      bindings: { chrono: chronoBinding({ endpoint, timing: { approvalMs: 600_000, retentionMs: 600_000, providerDeadlineMs: 30_000, releaseEscalationMs: 5_000, releaseRetryPauseMs: 500 } }) },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await chrono?.close();
  });

  const event = (places: number) => {
    const slot = `codec-${randomUUID().slice(0, 8)}`;
    const datetime = new Date(Date.now() + 3 * 24 * 60 * 60 * 1000).toISOString().slice(0, 19).replace('T', ' ');
    addChronoEvent(chrono.ctx.state, 'gymnase-jean-moulin', { slug: slot, datetime, duration: 60, places, waiting_list_places: 0 });
    return { agenda: 'gymnase-jean-moulin', slot };
  };

  const untilEnded = (bookingId: string) =>
    eventually(async () => {
      const { body } = await stack.api(`/api/v1/bookings/${bookingId}`);
      return ['cancelled', 'failed', 'completed', 'expired'].includes((body as BookingView).status) ? (body as BookingView) : undefined;
    }, `booking ${bookingId} to end`);

  /** `temporal workflow show -o json`, with codec flags or without. */
  const show = async (bookingId: string, codecArgs: string[] = []): Promise<string> =>
    (await run(cli, ['workflow', 'show', '-w', workflowIdFor(bookingId), '-o', 'json', '--address', process.env.TEST_TEMPORAL_ADDRESS!, ...codecArgs], { maxBuffer: 64 * 1024 * 1024 })).stdout;

  const personal = Object.values(CHRONO_PERSON);

  test('a booking held, then cancelled: its history holds no name, phone or email; the codec shows them to those allowed', async () => {
    const where = event(5);
    const created = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'chrono', request: chronoRequest(where) } });
    expect(created.status).toBe(202);
    const { bookingId } = created.body as { bookingId: string };
    await eventually(async () => ((await stack.api(`/api/v1/bookings/${bookingId}`)).body as BookingView).status === 'confirmed' || undefined, 'the booking to be confirmed');
    expect((await stack.api(`/api/v1/bookings/${bookingId}/cancel`, { method: 'POST', json: {} })).status).toBe(200);
    await untilEnded(bookingId);

    const raw = await show(bookingId);
    for (const value of personal) expect(raw).not.toContain(value);
    // Every payload in it is sealed (the input, the activities' inputs and results, memo, the result) but the search
    // attributes, which Temporal must read to list bookings, and the SDK's own patch markers: neither holds personal data.
    const encodings = payloadEncodings(JSON.parse(raw));
    expect(encodings.length).toBeGreaterThan(5);
    expect(new Set(encodings)).toEqual(new Set(['binary/encrypted']));

    for (const token of [APPROVER_TOKEN, OPERATOR_TOKEN]) {
      const decoded = payloadTexts(JSON.parse(await show(bookingId, ['--codec-endpoint', `${stack.apiUrl}/codec`, '--codec-auth', `Bearer ${token}`])));
      for (const value of personal) expect(decoded).toContain(value);
    }

    // What the Temporal UI says of it without a query: what is booked and for whom; each step in a few words.
    const handle = stack.client.workflow.getHandle(workflowIdFor(bookingId));
    expect(await (await handle.describe()).staticSummary()).toBe(`chrono: 1 place(s) at ${where.agenda}/${where.slot}, for test-app`);
    const steps: string[] = [];
    for (const e of (await handle.fetchHistory()).events ?? []) {
      const summary = e.activityTaskScheduledEventAttributes ? e.userMetadata?.summary : undefined;
      if (summary) steps.push(defaultPayloadConverter.fromPayload<string>((await stack.payloadCodec.decode([summary]))[0]!));
    }
    expect(steps[0]).toBe(`book 1 place(s) at ${where.agenda}/${where.slot}`);
    expect(steps.slice(1)).toEqual([expect.stringMatching(new RegExp(`^release the place on agenda ${where.agenda} \\(chrono booking \\d+\\)$`))]);
    for (const value of personal) expect(steps.join('\n')).not.toContain(value);

    // An app's token opens nothing: the codec server refuses it (403), and the CLI, which retries, gives up.
    await expect(show(bookingId, ['--codec-endpoint', `${stack.apiUrl}/codec`, '--codec-auth', `Bearer ${APP_TOKEN}`, '--command-timeout', '3s'])).rejects.toThrow(/failed getting next history event/);
  });

  test("a provider's refusal reaches the app in its words, while the history keeps them sealed", async () => {
    const created = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'chrono', request: chronoRequest(event(0)) } });
    const { bookingId } = created.body as { bookingId: string };
    const failed = await untilEnded(bookingId);
    expect(failed.error).toMatchObject({ code: 'provider_refused', message: 'sold out' });
    const raw = await show(bookingId);
    expect(raw).not.toContain('sold out');
    expect(raw).toContain('Encoded failure');
  });

  test('the codec server: ciphertext without a staff token, decoded with one, by header or by the session cookie', async () => {
    const [sealed] = await stack.payloadCodec.encode([json(CHRONO_PERSON)]);
    const wire = { payloads: [{ metadata: Object.fromEntries(Object.entries(sealed!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(sealed!.data!).toString('base64') }] };
    const decode = (headers: Record<string, string>) =>
      fetch(`${stack.apiUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers }, body: JSON.stringify(wire) });
    const opened = (body: CodecAnswer) =>
      JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString()) as unknown;

    // No token: 401, and the payloads as they came (the Temporal UI shows them as ciphertext).
    const anonymous = await decode({});
    expect(anonymous.status).toBe(401);
    const anonymousBody = await answer(anonymous);
    expect(anonymousBody).toMatchObject({ error: { code: 'unauthenticated' }, payloads: wire.payloads });
    const app = await decode({ authorization: `Bearer ${APP_TOKEN}` });
    expect(app.status).toBe(403);
    expect((await answer(app)).error.message).toBe('decoding payloads needs the approver or operator role; this token is app');

    const approver = await decode({ authorization: `Bearer ${APPROVER_TOKEN}` });
    expect(approver.status).toBe(200);
    expect(opened(await answer(approver))).toEqual(CHRONO_PERSON);

    // The browser's way: a session cookie, HttpOnly, set once with the token.
    const session = await fetch(`${stack.apiUrl}/codec/session`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(session.status).toBe(200);
    expect(await session.json()).toEqual({ client: 'night-shift', role: 'operator', expiresInSeconds: 8 * 3600 });
    const cookie = session.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^${CODEC_SESSION_COOKIE}=`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const byCookie = await decode({ cookie: cookie.split(';')[0]! });
    expect(byCookie.status).toBe(200);
    expect(opened(await answer(byCookie))).toEqual(CHRONO_PERSON);

    // encode, then decode: the same value.
    const encoded = await fetch(`${stack.apiUrl}/codec/encode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${APPROVER_TOKEN}` },
      body: JSON.stringify({ payloads: [{ metadata: { [METADATA_ENCODING_KEY]: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"x"').toString('base64') }] }),
    });
    const encodedBody = await answer(encoded);
    expect(Buffer.from(encodedBody.payloads[0]!.metadata[METADATA_ENCODING_KEY]!, 'base64').toString()).toBe('binary/encrypted');

    const malformed = await fetch(`${stack.apiUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${APPROVER_TOKEN}` }, body: JSON.stringify({ payloads: [{ data: 'not base64!' }] }) });
    expect(malformed.status).toBe(400);
    expect((await answer(malformed)).error.fields).toEqual([{ field: 'payloads.0.data', message: 'must be base64' }]);
    expect((await fetch(`${stack.apiUrl}/codec/decode`)).status).toBe(405);
  });

  test("the Temporal UI's page may call the codec server with its cookie; another site's may not", async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.apiUrl}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
      });
    const ui = await preflight(TEST_UI_ORIGIN);
    expect(ui.status).toBe(204);
    expect(ui.headers.get('access-control-allow-origin')).toBe(TEST_UI_ORIGIN);
    expect(ui.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ui.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/i);
    const other = await preflight('https://elsewhere.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  test("a sealed booking's history replays with its key, and not without it", async () => {
    const created = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'chrono', request: chronoRequest(event(5)) } });
    const { bookingId } = created.body as { bookingId: string };
    await eventually(async () => ((await stack.api(`/api/v1/bookings/${bookingId}`)).body as BookingView).status === 'confirmed' || undefined, 'the booking to be confirmed');
    await stack.api(`/api/v1/bookings/${bookingId}/cancel`, { method: 'POST', json: {} });
    await untilEnded(bookingId);
    const history = await stack.client.workflow.getHandle(workflowIdFor(bookingId)).fetchHistory();
    const workflowBundle = { codePath: process.env.TEST_WORKFLOW_BUNDLE! };
    await expect(Worker.runReplayHistory({ workflowBundle, dataConverter: bookingDataConverter(stack.payloadCodec) }, history, bookingId)).resolves.toBeUndefined();
    await expect(Worker.runReplayHistory({ workflowBundle, dataConverter: bookingDataConverter(new SealingCodec([key('another')])) }, history, bookingId)).rejects.toThrow();
  });
});
