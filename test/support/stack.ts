/**
 * Everything a test needs around one provider: its simulator (real HTTP), a
 * worker on a task queue of the test file's own, a Temporal client, and the
 * API on a free port. The Temporal server is the run's one dev server.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { createApp } from '../../api/app';
import type { Caller } from '../../api/auth';
import type { ProviderBindings } from '../../api/providers/binding';
import { providerEndpointsFrom } from '../../config/env';
import { type ProviderEndpoints, apiBindingsFrom, providerDefinitions } from '../../config/providers';
import { PROVIDERS, type Provider } from '../../workflows/booking';
import { createBookingWorker } from '../../worker/create';
import { bookingDataConverter } from '../../common/data-converter';
import { SealingCodec } from '../../common/payload-codec';
import { testPayloadKeys } from './payload-keys';

export const APP_TOKEN = 'test-app-token';
export const OTHER_APP_TOKEN = 'test-other-app-token';
/** An app of its own for the API contract test: its lists show only the bookings it made (other files' workers are gone). */
export const CONTRACT_APP_TOKEN = 'test-contract-app-token';
export const APPROVER_TOKEN = 'test-approver-token';
/** The inbox test's own app: its bookings are the only ones its inbox lists (other files' stay in the shared server). */
export const INBOX_APP_TOKEN = 'test-inbox-app-token';
/** The Temporal UI's origin as the tests' API knows it: its pages may call the codec server with credentials. */
export const TEST_UI_ORIGIN = 'http://temporal-ui.test:8233';
/** An operator: decodes payloads through the codec server, nothing else. */
export const OPERATOR_TOKEN = 'test-operator-token';
export const TOKENS = new Map<string, Caller>([
  [APP_TOKEN, { client: 'test-app', role: 'app' }],
  [OTHER_APP_TOKEN, { client: 'other-app', role: 'app' }],
  [CONTRACT_APP_TOKEN, { client: 'contract-app', role: 'app' }],
  [APPROVER_TOKEN, { client: 'approvals-desk', role: 'approver' }],
  [INBOX_APP_TOKEN, { client: 'inbox-app', role: 'app' }],
  [OPERATOR_TOKEN, { client: 'night-shift', role: 'operator' }],
]);

let runtimeInstalled = false;

/** Retried provider failures and workers starting and stopping are expected in these tests: only errors are worth printing. */
export function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

export interface StackOptions {
  providers: ProviderEndpoints;
  bindings: ProviderBindings;
  settleWaitMs?: number;
  /** How long a read waits for a worker to answer before the API says 503 (a machine under load needs longer). */
  queryTimeoutMs?: number;
}

export interface Stack {
  client: Client;
  /** The codec the client and the worker seal payloads with (this run's key). */
  payloadCodec: SealingCodec;
  taskQueue: string;
  apiUrl: string;
  /** fetch against the API with a token (the app's unless told otherwise). */
  api(path: string, init?: RequestInit & { token?: string | null; json?: unknown }): Promise<{ status: number; body: any; headers: Headers }>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  const bundlePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (!address || !bundlePath) throw new Error('the jest global setup did not start Temporal');
  quietTemporalRuntime();
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const taskQueue = `test-${randomUUID()}`;
  const payloadKeys = testPayloadKeys();
  const payloadCodec = new SealingCodec(payloadKeys);
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter: bookingDataConverter(payloadCodec) });
  const nativeConnection = await NativeConnection.connect({ address });

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const startWorker = async (): Promise<void> => {
    worker = await createBookingWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      logger,
      providers: options.providers,
      payloadKeys,
      workflowBundle: { codePath: bundlePath },
      shutdownGraceTime: '1 second',
    });
    running = worker.run();
  };
  const stopWorker = async (): Promise<void> => {
    if (!worker) return;
    worker.shutdown();
    await running;
    worker = undefined;
  };
  await startWorker();

  const app = createApp({
    client,
    taskQueue,
    tokens: TOKENS,
    providers: options.bindings,
    logger,
    settleWaitMs: options.settleWaitMs ?? 2_000,
    queryTimeoutMs: options.queryTimeoutMs ?? 2_000,
    payloadCodec,
    // The run's own Temporal UI (test/global-setup.ts) calls the codec server from the browser.
    codecAllowedOrigins: [TEST_UI_ORIGIN, ...(process.env.TEST_TEMPORAL_UI_URL ? [process.env.TEST_TEMPORAL_UI_URL] : [])],
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    client,
    payloadCodec,
    taskQueue,
    apiUrl,
    async api(path, init = {}) {
      const { token = APP_TOKEN, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== null) headers.set('authorization', `Bearer ${token}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      const response = await fetch(`${apiUrl}${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body, headers: response.headers };
    },
    startWorker,
    stopWorker,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await stopWorker();
      await nativeConnection.close();
      await connection.close();
    },
  };
}

export interface SimulatedProviders {
  providers: ProviderEndpoints;
  bindings: ProviderBindings;
  /** Each provider's simulator URL. */
  urls: Record<Provider, string>;
  close(): Promise<void>;
}

/**
 * Several providers at once (every one by default), each behind its simulator on a
 * free port, configured the way the worker and the API read their environment
 * (config/providers.ts): what `startStack` takes.
 */
export async function startSimulatedProviders(which: readonly Provider[] = PROVIDERS): Promise<SimulatedProviders> {
  const running = await Promise.all(
    which.map(async (provider) => {
      const start = await providerDefinitions[provider].simulator.start();
      return { provider, sim: await start({ port: 0, host: '127.0.0.1', token: `test-${provider}-token` }) };
    }),
  );
  const env: Record<string, string> = {};
  for (const { provider, sim } of running) {
    env[`${provider.toUpperCase()}_URL`] = sim.url;
    env[`${provider.toUpperCase()}_TOKEN`] = `test-${provider}-token`;
    env[`${provider.toUpperCase()}_TIMEOUT`] = '2s';
  }
  const bindings = apiBindingsFrom(env);
  return {
    providers: providerEndpointsFrom(env, which),
    // Providers the API does not read through are bound whatever the environment: keep the ones asked for.
    bindings: Object.fromEntries(Object.entries(bindings).filter(([p]) => which.includes(p as Provider))),
    urls: Object.fromEntries(running.map(({ provider, sim }) => [provider, sim.url])) as Record<Provider, string>,
    close: async () => {
      await Promise.all(running.map(({ sim }) => sim.close()));
    },
  };
}

/** Polls until `check` returns a value, or fails with the last thing seen. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** What an operator sees of a booking besides its view: search attributes and memo (describe), and the one-line current details of the Temporal UI's workflow page. */
export async function operatorView(handle: WorkflowHandle): Promise<{ described: WorkflowExecutionDescription; details: string }> {
  const [described, metadata] = await Promise.all([handle.describe(), handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')]);
  return { described, details: metadata.currentDetails ?? '' };
}
