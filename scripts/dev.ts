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
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { providerDefinitions } from '../config/providers';
import { PROVIDERS } from '../workflows/booking';
import { bookingSearchAttributeCliArgs, bookingSearchAttributeKeys } from '../workflows/search-attributes';
import { ensureTemporalCli, projectRoot } from './temporal-cli';

/** Where the servers listen: loopback unless HOST says otherwise (HOST=0.0.0.0 to reach them from elsewhere). */
const BIND_HOST = process.env.HOST || '127.0.0.1';
/** Where this runner and the children reach them. */
const HOST = '127.0.0.1';
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
    API_TOKENS: 'dev-app-token:demo-app:app,dev-approver-token:approver:approver',
    LOG_LEVEL: 'info',
    HOST: BIND_HOST,
    SIMULATORS_HOST: BIND_HOST,
  };
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

// ---------------------------------------------------------------------------------------
// Output

const useColor = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const palette = ['\x1b[35m', '\x1b[36m', '\x1b[33m', '\x1b[32m', '\x1b[34m'];
const nameWidth = Math.max('temporal'.length, ...childSpecs.map((c) => c.name.length));

function label(name: string, index: number): string {
  const text = `[${name}]`.padEnd(nameWidth + 2);
  return useColor ? `${palette[index % palette.length]}${text}\x1b[0m` : text;
}

const devLabel = label('dev', 4);

function say(message: string): void {
  process.stdout.write(`${devLabel} ${message}\n`);
}

function complain(message: string): void {
  process.stderr.write(`${devLabel} ${message}\n`);
}

function pipeLines(stream: Readable | null, prefix: string, out: NodeJS.WriteStream): void {
  if (!stream) return;
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${prefix} ${line}\n`));
}

// ---------------------------------------------------------------------------------------
// Processes

const detached = process.platform !== 'win32';

interface Running {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

function startProcess(name: string, index: number, command: string, args: string[], env: NodeJS.ProcessEnv, onExit: (code: number | null, signal: NodeJS.Signals | null) => void): Running {
  // Own process group: the terminal's Ctrl-C reaches only this runner, which stops the
  // children in order; and a signal to the group also reaches tsx's and npx's children.
  const child = spawn(command, args, { cwd: projectRoot, env, detached, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = label(name, index);
  pipeLines(child.stdout, prefix, process.stdout);
  pipeLines(child.stderr, prefix, process.stderr);
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      onExit(code, signal);
      resolve();
    });
    child.on('error', (err) => {
      complain(`${name}: ${err.message}`);
      if (child.pid === undefined) {
        onExit(null, null);
        resolve();
      }
    });
  });
  return { name, child, exited };
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

function signalProcess(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!isRunning(child) || child.pid === undefined) return;
  try {
    if (detached) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    child.kill(signal);
  }
}

async function stopProcess(running: Running, graceMs: number): Promise<void> {
  if (!isRunning(running.child)) return;
  signalProcess(running.child, 'SIGTERM');
  const timer = setTimeout(() => {
    complain(`${running.name} did not stop within ${graceMs / 1000} s: killing it`);
    signalProcess(running.child, 'SIGKILL');
  }, graceMs);
  await running.exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------
// Probes

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when something accepts TCP connections on host:port. */
function portAnswers(port: number, host = HOST, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when a Temporal frontend answers at `address` and knows `namespace`. */
async function temporalAnswers(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2000 });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** True when some worker polls the task queue for workflow tasks. */
async function workerPolls(address: string, namespace: string, taskQueue: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2000 });
    const res = await connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    return (res.pollers?.length ?? 0) > 0;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

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

interface TemporalServer {
  /** Stops the server (after the children). */
  stop(): Promise<void>;
}

class DevRunner {
  private readonly children: Running[] = [];
  private server: TemporalServer | undefined;
  private serverProcess: Running | undefined;
  private stopping = false;
  private signalCount = 0;
  private firstSignalAt: number | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async run(): Promise<void> {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => this.onSignal(signal));
    }
    const missing = childSpecs.filter((c) => !fs.existsSync(path.join(projectRoot, c.entry))).map((c) => c.entry);
    if (missing.length > 0) throw new Error(`missing entry point${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);

    await checkPortsFree(this.env);
    await this.startTemporal();
    if (this.stopping) return;
    say(`Temporal is up at ${TEMPORAL_ADDRESS}`);

    childSpecs.forEach((spec, i) => {
      const running = startProcess(spec.name, i, process.execPath, ['--import', 'tsx', spec.entry], this.env, (code, signal) => {
        if (!this.stopping) {
          complain(`${spec.name} exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`}): stopping everything`);
          void this.shutdown(1);
        }
      });
      this.children.push(running);
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
          dbFilename,
          ip: BIND_HOST,
          port: TEMPORAL_PORT,
          ui: true,
          uiPort: TEMPORAL_UI_PORT,
          searchAttributes: [...bookingSearchAttributeKeys],
        },
      });
      this.server = { stop: () => testEnv.teardown() };
      return;
    }

    const args = ['server', 'start-dev', '--db-filename', dbFilename, '--ip', BIND_HOST, '--port', String(TEMPORAL_PORT), '--ui-port', String(TEMPORAL_UI_PORT)];
    for (const attribute of bookingSearchAttributeCliArgs) args.push('--search-attribute', attribute);
    say(`starting the Temporal dev server (state in ${path.relative(projectRoot, dbFilename)})`);
    let exited: string | undefined;
    const serverProcess = startProcess('temporal', 3, cli.path, args, process.env, (code, signal) => {
      exited = signal ? `signal ${signal}` : `code ${code}`;
      if (!this.stopping) {
        complain(`the Temporal dev server exited unexpectedly (${exited}): stopping everything`);
        void this.shutdown(1);
      }
    });
    this.serverProcess = serverProcess;
    this.server = { stop: () => stopProcess(serverProcess, 15_000) };

    const deadline = Date.now() + 60_000;
    while (!this.stopping) {
      if (exited) throw new Error(`the Temporal dev server exited (${exited}) before it answered`);
      if (await temporalAnswers(TEMPORAL_ADDRESS, 'default')) return;
      if (Date.now() > deadline) throw new Error(`the Temporal dev server did not answer on ${TEMPORAL_ADDRESS} within 60 s`);
      await delay(500);
    }
  }

  private async waitUntilReady(): Promise<void> {
    const apiPort = this.env.PORT ?? '3000';
    const health = `http://${HOST}:${apiPort}/health`;
    const simulatorPorts = PROVIDERS.map((p) => Number(this.env[`${p.toUpperCase()}_SIMULATOR_PORT`]));
    const started = Date.now();
    let hinted = false;
    const env = this.env;
    const checks: [string, () => Promise<boolean>][] = [
      ['the simulators to listen', async () => (await Promise.all(simulatorPorts.map((port) => portAnswers(port)))).every(Boolean)],
      [`${health} to answer 200`, () => httpOk(health)],
      [
        `a worker to poll task queue ${env.TEMPORAL_TASK_QUEUE}`,
        () => workerPolls(env.TEMPORAL_ADDRESS ?? TEMPORAL_ADDRESS, env.TEMPORAL_NAMESPACE ?? 'default', env.TEMPORAL_TASK_QUEUE ?? 'bookings'),
      ],
    ];
    while (!this.stopping) {
      const pending: string[] = [];
      for (const [what, check] of checks) if (!(await check())) pending.push(what);
      if (pending.length === 0) {
        this.printBanner(apiPort);
        return;
      }
      if (!hinted && Date.now() - started > 60_000) {
        hinted = true;
        complain(`still waiting for ${pending.join(', ')}...`);
      }
      await delay(500);
    }
  }

  private printBanner(apiPort: string): void {
    const env = this.env;
    const lines = [
      '',
      'Everything is up. Ctrl-C stops it all.',
      '',
      `  API              http://localhost:${apiPort}   (health: /health)`,
      `  Temporal UI      http://localhost:${TEMPORAL_UI_PORT}`,
      `  Temporal gRPC    ${env.TEMPORAL_ADDRESS}   namespace ${env.TEMPORAL_NAMESPACE}, task queue ${env.TEMPORAL_TASK_QUEUE}`,
      `  Temporal CLI     npm run temporal:cli -- workflow list`,
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

  private onSignal(signal: NodeJS.Signals): void {
    // `tsx scripts/dev.ts` relays the terminal's Ctrl-C that reached us already: one
    // press can arrive twice within a few milliseconds.
    const now = Date.now();
    if (this.firstSignalAt !== undefined && now - this.firstSignalAt < 1000) return;
    this.firstSignalAt ??= now;
    this.signalCount += 1;
    if (this.signalCount > 1) {
      complain(`${signal} again: killing everything now`);
      for (const running of [...this.children, ...(this.serverProcess ? [this.serverProcess] : [])]) signalProcess(running.child, 'SIGKILL');
      process.exit(130);
    }
    say(`${signal}: stopping (again to kill at once)`);
    void this.shutdown(0);
  }

  async shutdown(code: number): Promise<never> {
    if (this.stopping) return new Promise<never>(() => undefined);
    this.stopping = true;
    for (const running of [...this.children].reverse()) {
      await stopProcess(running, 15_000);
    }
    if (this.server) {
      try {
        await this.server.stop();
      } catch (err) {
        complain(`stopping the Temporal dev server: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (this.server) say(code === 0 ? 'stopped' : `stopped (exit code ${code})`);
    process.exit(code);
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
