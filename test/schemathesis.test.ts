/**
 * The OpenAPI document tells the truth about the API: schemathesis (PyPI, pinned in
 * scripts/schemathesis.ts) generates requests from the document, valid and invalid,
 * sends them to the API serving every provider (simulators, worker, real Temporal),
 * and checks each answer against the document: no 5xx, only documented statuses,
 * content types, headers and bodies, invalid requests refused and valid ones accepted,
 * other methods answered 405 with Allow.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureSchemathesis } from '../scripts/schemathesis';
import { CONTRACT_APP_TOKEN, type SimulatedProviders, type Stack, startSimulatedProviders, startStack } from './support/stack';

/** Examples per operation: enough to find a disagreement, few enough for a 2-core machine. */
const MAX_EXAMPLES = Number(process.env.SCHEMATHESIS_MAX_EXAMPLES ?? 15);

/** Steps of a stateful scenario: a booking started, read, then answered (the document's links). */
const MAX_STEPS = Number(process.env.SCHEMATHESIS_MAX_STEPS ?? 6);

const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
  'positive_data_acceptance',
  'missing_required_header',
  'unsupported_method',
  'allow_header_conformance',
  'ignored_auth',
];

/** Checks of what was deleted and of another caller's objects: the API deletes nothing, and the run has one token (test/<provider>.test.ts check other clients' bookings). */
const OFF = ['use_after_free', 'ensure_resource_availability', 'object_level_authorization'];

/**
 * Valid requests the API refuses by design, each documented: the approvals inbox is an
 * approver's (the run's token is an app's: 403); a list's cursor is one the API gave for
 * that very list, which a generated one never is (400); a reused
 * Idempotency-Key with another request is a 422 (as the IETF draft on the header
 * says; oks's own book route too); a booking request can break a rule between fields that JSON Schema cannot
 * state (hotels24's departure after arrival, living people per room), a 400, and so
 * can a trip (a second leg that cannot be undone); and
 * oks's own unbook answers a deal it does not hold with the seed's 400.
 */
const CONFIG = `
${CHECKS.map((check) => `[checks.${check}]\nenabled = true\n`).join('')}
${OFF.map((check) => `[checks.${check}]\nenabled = false\n`).join('')}
[phases.stateful]
max-steps = ${MAX_STEPS}

[[operations]]
include-name = "POST /api/v1/bookings"
checks.positive_data_acceptance.expected-statuses = ["2XX", "400", "401", "403", "404", "409", "422"]

[[operations]]
include-name = "GET /api/v1/approvals"
checks.positive_data_acceptance.expected-statuses = ["2XX", "403"]

[[operations]]
include-name = "GET /api/v1/bookings"
checks.positive_data_acceptance.expected-statuses = ["2XX", "400"]

[[operations]]
include-name = "POST /api/v1/trips"
checks.positive_data_acceptance.expected-statuses = ["2XX", "400", "401", "422"]

[[operations]]
include-name = "POST /api/v1/service/projects/layouts/book"
checks.positive_data_acceptance.expected-statuses = ["2XX", "401", "422"]

[[operations]]
include-name = "POST /api/v1/service/projects/layouts/unbook"
checks.positive_data_acceptance.expected-statuses = ["2XX", "400", "401"]
`;

let sims: SimulatedProviders;
let stack: Stack;

let schemathesis: string;

beforeAll(async () => {
  // First: a first run installs it with pip (a minute), which blocks this process.
  schemathesis = ensureSchemathesis();
  sims = await startSimulatedProviders();
  // A 503 for a worker slow to answer is right, but no disagreement with the document: reads get time to be answered.
  stack = await startStack({ providers: sims.providers, bindings: sims.bindings, queryTimeoutMs: 10_000 });
}, 10 * 60_000);

afterAll(async () => {
  await stack?.close();
  await sims?.close();
});

/** Runs the CLI without blocking this process: the API it tests answers from here. */
function runSchemathesis(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(schemathesis, args, {
      env: { ...process.env, NO_COLOR: '1', COLUMNS: '160', SCHEMATHESIS_TELEMETRY: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('schemathesis finds no disagreement between the API and its OpenAPI document', async () => {
  const started = Date.now();
  const configFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'schemathesis-')), 'schemathesis.toml');
  fs.writeFileSync(configFile, CONFIG);
  const { code, output } = await runSchemathesis([
    '--config-file',
    configFile,
    'run',
    `${stack.apiUrl}/api/v1/openapi.json`,
    '--header',
    `Authorization: Bearer ${CONTRACT_APP_TOKEN}`,
    '--max-examples',
    String(MAX_EXAMPLES),
    '--phases',
    'examples,coverage,fuzzing,stateful',
    '--seed',
    process.env.SCHEMATHESIS_SEED ?? '1',
    '--generation-database',
    'none',
    '--request-timeout',
    '15',
    '--no-color',
  ]);
  process.stderr.write(`[schemathesis] finished in ${Math.round((Date.now() - started) / 1000)} s\n`);
  if (code !== 0 || process.env.SCHEMATHESIS_REPORT) process.stderr.write(`[schemathesis] exit code ${code}; its report:\n${output}\n`);
  else process.stderr.write(`[schemathesis] ${output.trim().split('\n').slice(-1)[0] ?? ''}\n`);
  expect({ code, failures: code === 0 ? '' : output.slice(-4_000) }).toEqual({ code: 0, failures: '' });
}, 10 * 60_000);
