/**
 * Once for the whole run: one real Temporal dev server (the same CLI binary
 * `npm start` uses) and one workflow bundle. Test files reach them through
 * the environment: TEST_TEMPORAL_ADDRESS, TEST_WORKFLOW_BUNDLE and TEST_PAYLOAD_KEYS.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { BOOKING_BUNDLE } from '../worker/create';
import { ensureTemporalCli } from '../scripts/temporal-cli';
import { bookingSearchAttributeKeys } from '../workflows/search-attributes';

declare global {
  var __TEMPORAL_TEST_ENV__: TestWorkflowEnvironment | undefined;
}

export default async function globalSetup(): Promise<void> {
  const cli = await ensureTemporalCli();
  // The server's own UI, for the test that reads bookings in it as an operator does (test/temporal-ui.test.ts).
  const uiPort = await freePort();
  const started = Date.now();
  const [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        ...(cli.path ? { executable: { type: 'existing-path' as const, path: cli.path } } : {}),
        ip: '127.0.0.1',
        uiPort,
        searchAttributes: [...bookingSearchAttributeKeys],
        extraArgs: ['--log-level', 'error'],
      },
    }),
    bundleWorkflowCode({ ...BOOKING_BUNDLE, logger: quietBundlerLogger }),
  ]);
  globalThis.__TEMPORAL_TEST_ENV__ = env;
  const bundlePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'booking-bundle-')), 'workflows.js');
  fs.writeFileSync(bundlePath, bundle.code);
  process.env.TEST_TEMPORAL_ADDRESS = env.address;
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
  process.env.TEST_TEMPORAL_UI_URL = `http://127.0.0.1:${uiPort}`;
  // Every payload the tests send is sealed, as in production, with a key of this run's own.
  process.env.TEST_PAYLOAD_KEYS = `run-${process.pid}:${randomBytes(32).toString('base64')}`;
  process.stderr.write(`\n[test] Temporal dev server at ${env.address} (${cli.source}); workflow bundle built in ${Date.now() - started} ms\n`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => process.stderr.write(`[bundler] ${message}\n`),
  error: (message: string) => process.stderr.write(`[bundler] ${message}\n`),
};
