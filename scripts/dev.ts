/**
 * `npm start`: the whole system on one machine, in one command.
 *
 * 1. finds or provisions the Temporal CLI (scripts/temporal-cli.ts);
 * 2. starts the Temporal dev server: gRPC on 127.0.0.1:7233, UI on :8233, state kept in
 *    .data/temporal.db, the booking search attributes registered;
 * 3. starts the provider simulators, the worker and the API as child processes, each
 *    output line prefixed with its name;
 * 4. prints the URLs and dev tokens once the simulators listen, the API answers GET /health
 *    and a worker polls the task queue.
 *
 * Ctrl-C / SIGTERM stops the children (API, worker, simulators, in that order), then the
 * server, and exits 0. If a child dies on its own, the rest is stopped and the exit code
 * is non-zero.
 *
 * Environment given to the children: every value already set is kept; the defaults are
 * in devEnv() below; the providers and their simulators' ports come from config/providers.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { providerDefinitions } from '../config/providers';
import { PROVIDERS } from '../workflows/booking';
import { bookingSearchAttributeCliArgs, bookingSearchAttributeKeys } from '../workflows/search-attributes';
import { LOOPBACK as HOST, Supervisor, createOutput, delay, httpOk, localPayloadKeys, portAnswers, taskQueuePollers, temporalAnswers, waitForAll } from './processes';
import { ensureTemporalCli, persistedDevServerPragmas, projectRoot } from './temporal-cli';

/** Where the servers listen: loopback unless HOST says otherwise (HOST=0.0.0.0 to reach them from elsewhere). */
const BIND_HOST = process.env.HOST || '127.0.0.1';
const TEMPORAL_PORT = 7233;
const TEMPORAL_UI_PORT = 8233;
const TEMPORAL_ADDRESS = `${HOST}:${TEMPORAL_PORT}`;
const dataDir = path.join(projectRoot, '.data');
const dbFilename = path.join(dataDir, 'temporal.db');

/** The environment of the children: defaults for the dev setup under whatever is already set. */
export function devEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const defaults: Record<string, string> = {
    TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: 'bookings',
    PORT: '3000',
    API_TOKENS: 'dev-app-token:demo-app:app,dev-approver-token:approver:approver,dev-operator-token:operator:operator',
    LOG_LEVEL: 'info',
    HOST: BIND_HOST,
    SIMULATORS_HOST: BIND_HOST,
    TEMPORAL_UI_URL: `http://localhost:${TEMPORAL_UI_PORT}`,
    // The UI as the browser reaches it, by either name, calls the codec server with its session cookie.
    CODEC_ALLOWED_ORIGINS: `http://localhost:${TEMPORAL_UI_PORT},http://127.0.0.1:${TEMPORAL_UI_PORT}`,
  };
  if (!base.PAYLOAD_KEYS) defaults.PAYLOAD_KEYS = localPayloadKeys(dataDir);
  for (const provider of PROVIDERS) {
    const { port } = providerDefinitions[provider].simulator;
    const P = provider.toUpperCase();
    defaults[`${P}_URL`] = `http://${HOST}:${port}`;
    defaults[`${P}_TOKEN`] = `dev-${provider}-token`;
    defaults[`${P}_SIMULATOR_PORT`] = String(port);
  }
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [key, value] of Object.entries(defaults)) {
    if (env[key] === undefined || env[key] === '') env[key] = value;
  }
  return env;
}

interface ChildSpec {
  name: string;
  entry: string;
}

/** Started in this order, stopped in the reverse one (in-flight activities still reach the simulators). */
const childSpecs: ChildSpec[] = [
  { name: 'simulators', entry: 'scripts/simulators.ts' },
  { name: 'worker', entry: 'worker/main.ts' },
  { name: 'api', entry: 'api/main.ts' },
];

const output = createOutput('dev', ['temporal', ...childSpecs.map((c) => c.name)], 4);
const { say, complain } = output;

/** Fails with a clear message when a port this runner needs is taken. */
async function checkPortsFree(env: NodeJS.ProcessEnv): Promise<void> {
  if (await portAnswers(TEMPORAL_PORT)) {
    if (await temporalAnswers(TEMPORAL_ADDRESS, 'default')) {
      throw new Error(
        `a Temporal server is already running on ${TEMPORAL_ADDRESS} (another \`npm start\`, or \`temporal server start-dev\`?). ` +
          'Stop it first: this runner starts its own dev server there.',
      );
    }
    throw new Error(`port ${TEMPORAL_PORT} (Temporal gRPC) is taken by another program; free it and try again.`);
  }
  const wanted: [number, string][] = [[TEMPORAL_UI_PORT, 'Temporal UI']];
  for (const provider of PROVIDERS) {
    const port = Number(env[`${provider.toUpperCase()}_SIMULATOR_PORT`]);
    if (Number.isInteger(port) && port > 0) wanted.push([port, `${provider} simulator`]);
  }
  wanted.push([Number(env.PORT), 'API (PORT)']);
  const taken: string[] = [];
  for (const [port, what] of wanted) {
    if (await portAnswers(port)) taken.push(`${port} (${what})`);
  }
  if (taken.length > 0) {
    throw new Error(`port${taken.length > 1 ? 's' : ''} already in use: ${taken.join(', ')}. Stop what holds ${taken.length > 1 ? 'them' : 'it'} (an earlier \`npm start\`?) and try again.`);
  }
}

// ---------------------------------------------------------------------------------------
// The run

class DevRunner {
  private readonly supervisor = new Supervisor(output);

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async run(): Promise<void> {
    this.supervisor.handleSignals();
    const missing = childSpecs.filter((c) => !fs.existsSync(path.join(projectRoot, c.entry))).map((c) => c.entry);
    if (missing.length > 0) throw new Error(`missing entry point${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);

    await checkPortsFree(this.env);
    await this.startTemporal();
    if (this.supervisor.stopping) return;
    say(`Temporal is up at ${TEMPORAL_ADDRESS}`);

    childSpecs.forEach((spec, i) => {
      this.supervisor.spawn({ name: spec.name, index: i, command: process.execPath, args: ['--import', 'tsx', spec.entry], env: this.env, graceMs: 15_000 });
    });
    await this.waitUntilReady();
  }

  private async startTemporal(): Promise<void> {
    fs.mkdirSync(dataDir, { recursive: true });
    const cli = await ensureTemporalCli();
    if (cli.path === undefined) {
      say(`starting the Temporal dev server through the Temporal SDK (state in ${path.relative(projectRoot, dbFilename)})`);
      const { TestWorkflowEnvironment: Env } = await import('@temporalio/testing');
      const testEnv: TestWorkflowEnvironment = await Env.createLocal({
        server: {
          extraArgs: ['--ui-codec-endpoint', this.codecEndpoint()],
          dbFilename,
          ip: BIND_HOST,
          port: TEMPORAL_PORT,
          ui: true,
          uiPort: TEMPORAL_UI_PORT,
          searchAttributes: [...bookingSearchAttributeKeys],
        },
      });
      this.supervisor.track({ stop: () => testEnv.teardown() });
      return;
    }

    const args = ['server', 'start-dev', '--db-filename', dbFilename, ...persistedDevServerPragmas, '--ip', BIND_HOST, '--port', String(TEMPORAL_PORT), '--ui-port', String(TEMPORAL_UI_PORT), '--ui-codec-endpoint', this.codecEndpoint()];
    for (const attribute of bookingSearchAttributeCliArgs) args.push('--search-attribute', attribute);
    say(`starting the Temporal dev server (state in ${path.relative(projectRoot, dbFilename)})`);
    let exited: string | undefined;
    this.supervisor.spawn({
      name: 'temporal',
      index: 3,
      command: cli.path,
      args,
      env: process.env,
      graceMs: 15_000,
      what: 'the Temporal dev server',
      onExit: (how) => {
        exited = how;
      },
    });

    const deadline = Date.now() + 60_000;
    while (!this.supervisor.stopping) {
      if (exited) throw new Error(`the Temporal dev server exited (${exited}) before it answered`);
      if (await temporalAnswers(TEMPORAL_ADDRESS, 'default')) return;
      if (Date.now() > deadline) throw new Error(`the Temporal dev server did not answer on ${TEMPORAL_ADDRESS} within 60 s`);
      await delay(500);
    }
  }

  /** The API's codec server, as the browser showing the Temporal UI reaches it. */
  private codecEndpoint(): string {
    return `http://localhost:${this.env.PORT ?? '3000'}/codec`;
  }

  private async waitUntilReady(): Promise<void> {
    const apiPort = this.env.PORT ?? '3000';
    const health = `http://${HOST}:${apiPort}/health`;
    const simulatorPorts = PROVIDERS.map((p) => Number(this.env[`${p.toUpperCase()}_SIMULATOR_PORT`]));
    const env = this.env;
    const ready = await waitForAll(
      [
        ['the simulators to listen', async () => (await Promise.all(simulatorPorts.map((port) => portAnswers(port)))).every(Boolean)],
        [`${health} to answer 200`, () => httpOk(health)],
        [
          `a worker to poll task queue ${env.TEMPORAL_TASK_QUEUE}`,
          async () => (await taskQueuePollers(env.TEMPORAL_ADDRESS ?? TEMPORAL_ADDRESS, env.TEMPORAL_NAMESPACE ?? 'default', env.TEMPORAL_TASK_QUEUE ?? 'bookings')).length > 0,
        ],
      ],
      { stopping: () => this.supervisor.stopping, complain },
    );
    if (ready) this.printBanner(apiPort);
  }

  shutdown(code: number): Promise<never> {
    return this.supervisor.shutdown(code);
  }

  private printBanner(apiPort: string): void {
    const env = this.env;
    const lines = [
      '',
      'Everything is up. Ctrl-C stops it all.',
      '',
      `  API              http://localhost:${apiPort}   (health: /health)`,
      `  Approvals inbox  http://localhost:${apiPort}/inbox/   (an approver token signs in)`,
      `  Temporal UI      http://localhost:${TEMPORAL_UI_PORT}`,
      `  Temporal gRPC    ${env.TEMPORAL_ADDRESS}   namespace ${env.TEMPORAL_NAMESPACE}, task queue ${env.TEMPORAL_TASK_QUEUE}`,
      `  Temporal CLI     npm run temporal:cli -- workflow list`,
      `  Codec server     ${this.codecEndpoint()}   (payloads are sealed: sign in at the inbox with an approver or operator token,`,
      `                   then tick "Include cross-origin credentials" in the UI's Codec Server settings; the CLI takes`,
      `                   --codec-endpoint ${this.codecEndpoint()} --codec-auth 'Bearer <token>')`,
      '',
      '  Simulators:',
      ...PROVIDERS.map((p) => {
        const P = p.toUpperCase();
        return `    ${p.padEnd(10)} ${env[`${P}_URL`]}   token ${env[`${P}_TOKEN`]}`;
      }),
      '',
      '  API tokens (Authorization: Bearer <token>):',
      ...(env.API_TOKENS ?? '')
        .split(',')
        .filter(Boolean)
        .map((entry) => {
          const [token, client, role] = entry.split(':');
          return `    ${(token ?? '').padEnd(22)} client ${client ?? '?'}, role ${role ?? '?'}`;
        }),
      '',
      `  e.g. curl -H 'Authorization: Bearer ${(env.API_TOKENS ?? '').split(':')[0]}' http://localhost:${apiPort}/health`,
      '',
    ];
    for (const line of lines) say(line);
  }
}

async function main(): Promise<void> {
  const runner = new DevRunner(devEnv());
  try {
    await runner.run();
  } catch (err) {
    complain(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
    await runner.shutdown(1);
  }
}

if (require.main === module) {
  void main();
}
