/**
 * `npm run stack`: the production-shaped stack on one machine, what docker-compose.yml runs,
 * without Docker:
 *
 * 1. PostgreSQL (Debian's, installed with apt-get when missing): a cluster in
 *    .data/postgres, on 127.0.0.1:$STACK_POSTGRES_PORT, started and stopped with pg_ctl;
 * 2. the Temporal server v1.31.2 and its SQL tool, built into .tools/ (scripts/temporal-server.ts);
 *    the databases and schemas set up or brought up to date by the SQL tool; the server
 *    started with its embedded config from the same variables as docker-compose.yml and the
 *    shared dynamic config (config/dynamicconfig.yaml);
 * 3. the namespace and the booking search attributes registered (workflows/search-attributes.ts);
 * 4. the Temporal UI server v2.49.1, the provider simulators, TWO workers and the API.
 *
 * It prints the URLs once the API's /health answers, both workers poll and the UI answers.
 * Ctrl-C / SIGTERM stops everything, newest first; so does `npm run stack -- stop` (or
 * `npm run stack:stop`) from another terminal. A worker that dies is started again after
 * STACK_WORKER_RESTART_DELAY (as compose's restart policy does); anything else that dies
 * stops the stack, unless STACK_RESTART=all: then it is started again after
 * STACK_RESTART_DELAY seconds (3), as `npm run chaos` needs. .data/stack.json follows
 * every restart (the pid of each child running now). PostgreSQL, run by pg_ctl, is
 * watched the same way (started again, or the stack stops).
 *
 * Ports (environment, defaults clear of `npm start`'s): STACK_TEMPORAL_PORT 7333 (gRPC;
 * the server's other ports follow it: history +1, matching +2, worker +6, HTTP +10,
 * membership -300...), STACK_TEMPORAL_UI_PORT 8333, STACK_API_PORT 3100,
 * STACK_POSTGRES_PORT 55432, simulators at config/providers.ts's port +
 * STACK_SIMULATOR_PORT_OFFSET (100: 4201...4205).
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { type DataConverter, SearchAttributeType, msNumberToTs } from '@temporalio/common';
import { providerDefinitions } from '../config/providers';
import { bookingDataConverter } from '../common/data-converter';
import { SealingCodec } from '../common/payload-codec';
import { PayloadKeys } from '../config/env';
import { PROVIDERS } from '../workflows/booking';
import { bookingSearchAttributeKeys } from '../workflows/search-attributes';
import {
  LOOPBACK as HOST,
  Supervisor,
  createOutput,
  delay,
  httpOk,
  localPayloadKeys,
  portAnswers,
  taskQueuePollers,
  temporalAnswers,
  waitForAll,
} from './processes';
import { projectRoot } from './temporal-cli';
import { TEMPORAL_SERVER_VERSION, ensurePostgres, ensureStackTools, type StackTools } from './temporal-server';

const WORKERS = 2;
const dataDir = path.join(projectRoot, '.data');
const pgData = path.join(dataDir, 'postgres');
const pgLog = path.join(pgData, 'server.log');
/** Written once everything is up (the smoke test reads it), removed when the stack stops. */
export const stackStateFile = path.join(dataDir, 'stack.json');
const dynamicConfigFile = path.join(projectRoot, 'config', 'dynamicconfig.yaml');
/** The Temporal server's JSON log (too chatty for the terminal, above all while it stops). */
const temporalLog = path.join(dataDir, 'temporal-server.log');

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a whole number up to 65535 (is ${raw})`);
  return value;
}

/** TEMPORAL_RETENTION as docker-compose.yml takes it: `30d` (days). */
function retentionDaysFrom(raw: string | undefined): number {
  if (!raw) return 30;
  const match = /^(\d+)d?$/.exec(raw.trim());
  if (!match) throw new Error(`TEMPORAL_RETENTION must be a number of days such as 30d (is ${raw})`);
  return Number(match[1]);
}

function restartFrom(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'workers') return false;
  if (raw === 'all') return true;
  throw new Error(`STACK_RESTART must be workers (the default) or all (is ${raw})`);
}

/** What the stack listens on and is called, from the environment. */
export function stackConfig(env: NodeJS.ProcessEnv = process.env) {
  const temporalPort = intFrom(env, 'STACK_TEMPORAL_PORT', 7333);
  const offset = intFrom(env, 'STACK_SIMULATOR_PORT_OFFSET', 100);
  return {
    temporalPort,
    temporalAddress: `${HOST}:${temporalPort}`,
    uiPort: intFrom(env, 'STACK_TEMPORAL_UI_PORT', 8333),
    apiPort: intFrom(env, 'STACK_API_PORT', 3100),
    postgresPort: intFrom(env, 'STACK_POSTGRES_PORT', 55432),
    postgresUser: env.POSTGRES_USER || 'temporal',
    postgresPassword: env.POSTGRES_PASSWORD || 'temporal',
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'bookings',
    retentionDays: retentionDaysFrom(env.TEMPORAL_RETENTION),
    numHistoryShards: intFrom(env, 'NUM_HISTORY_SHARDS', 4),
    workerRestartDelayMs: intFrom(env, 'STACK_WORKER_RESTART_DELAY', 5) * 1000,
    /** STACK_RESTART=all: the Temporal server, its UI, the simulators and the API are started again too when they die. */
    restartAll: restartFrom(env.STACK_RESTART),
    restartDelayMs: intFrom(env, 'STACK_RESTART_DELAY', 3) * 1000,
    simulatorPorts: Object.fromEntries(PROVIDERS.map((p) => [p, providerDefinitions[p].simulator.port + offset])) as Record<string, number>,
  };
}
type StackConfig = ReturnType<typeof stackConfig>;

/** What the stack writes to stackStateFile: from its start, `ready` once everything is up. */
export interface StackState {
  pid: number;
  ready: boolean;
  /** Every process it started (name → pid), for `stop` after the runner itself was killed. */
  children: Record<string, number>;
  api: string;
  ui: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** Worker slot name → pid of the process running in it now. */
  workers: Record<string, number>;
  /** Whether the stack starts again whatever dies (STACK_RESTART=all), not only workers. */
  restartAll: boolean;
  /** Where PostgreSQL listens (run by pg_ctl, not a child: the stack watches it). */
  postgresPort: number;
  simulators: Record<string, string>;
  tokens: { app: string; approver: string };
}

/** The stack's payload keys: PAYLOAD_KEYS, else the local key kept in .data/payload-keys (as `npm start`'s). */
export function stackPayloadKeys(env: NodeJS.ProcessEnv = process.env): string {
  return env.PAYLOAD_KEYS || localPayloadKeys(dataDir);
}

/** What a client of the stack's bookings reads them with (the smoke test, chaos): the stack's keys. */
export function stackDataConverter(): DataConverter {
  return bookingDataConverter(new SealingCodec(PayloadKeys.parse(stackPayloadKeys())));
}

/** The environment of the API, the workers and the simulators (the same names as in `npm start` and compose). */
export function appEnv(config: StackConfig, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  const defaults: Record<string, string> = {
    API_TOKENS: 'dev-app-token:demo-app:app,dev-approver-token:approver:approver,dev-operator-token:operator:operator',
    LOG_LEVEL: 'info',
    SIMULATORS_HOST: HOST,
    HOST,
    TEMPORAL_UI_URL: `http://localhost:${config.uiPort}`,
    CODEC_ALLOWED_ORIGINS: `http://localhost:${config.uiPort},http://${HOST}:${config.uiPort}`,
    PAYLOAD_KEYS: stackPayloadKeys(base),
  };
  for (const provider of PROVIDERS) {
    const P = provider.toUpperCase();
    defaults[`${P}_URL`] = `http://${HOST}:${config.simulatorPorts[provider]}`;
    defaults[`${P}_TOKEN`] = `dev-${provider}-token`;
  }
  for (const [key, value] of Object.entries(defaults)) if (!env[key]) env[key] = value;
  // The stack's own: never one left over from `npm start`'s shell.
  Object.assign(env, {
    TEMPORAL_ADDRESS: config.temporalAddress,
    TEMPORAL_NAMESPACE: config.namespace,
    TEMPORAL_TASK_QUEUE: config.taskQueue,
    PORT: String(config.apiPort),
  });
  for (const provider of PROVIDERS) env[`${provider.toUpperCase()}_SIMULATOR_PORT`] = String(config.simulatorPorts[provider]);
  delete env.WORKER_METRICS_ADDRESS; // two workers cannot share one port
  return env;
}

/** The server's embedded config template reads these (as in docker-compose.yml's temporal service). */
export function temporalServerEnv(config: StackConfig): NodeJS.ProcessEnv {
  const p = config.temporalPort;
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DB: 'postgres12',
    POSTGRES_SEEDS: HOST,
    DB_PORT: String(config.postgresPort),
    POSTGRES_USER: config.postgresUser,
    POSTGRES_PWD: config.postgresPassword,
    NUM_HISTORY_SHARDS: String(config.numHistoryShards),
    BIND_ON_IP: HOST,
    FRONTEND_GRPC_PORT: String(p),
    HISTORY_GRPC_PORT: String(p + 1),
    MATCHING_GRPC_PORT: String(p + 2),
    WORKER_GRPC_PORT: String(p + 6),
    FRONTEND_HTTP_PORT: String(p + 10),
    FRONTEND_MEMBERSHIP_PORT: String(p - 300),
    HISTORY_MEMBERSHIP_PORT: String(p - 299),
    MATCHING_MEMBERSHIP_PORT: String(p - 298),
    WORKER_MEMBERSHIP_PORT: String(p - 294),
    DYNAMIC_CONFIG_FILE_PATH: dynamicConfigFile,
    TEMPORAL_ALLOW_NO_AUTH: 'true',
    LOG_LEVEL: process.env.STACK_TEMPORAL_LOG_LEVEL || 'info',
  };
}

const names = ['postgres', 'temporal', 'temporal-ui', 'simulators', ...Array.from({ length: WORKERS }, (_, i) => `worker-${i + 1}`), 'api'];
const output = createOutput('stack', names, 7);
const { say, complain } = output;

// ---------------------------------------------------------------------------------------
// PostgreSQL

type PgTools = Pick<StackTools, 'postgresBin'>;

/** As root, PostgreSQL's programs run as the `postgres` user (initdb and postgres refuse root). */
const asRoot = process.getuid?.() === 0;

function pgCommand(tools: PgTools, program: string, args: string[]): [string, string[]] {
  const binary = path.join(tools.postgresBin, program);
  return asRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
}

function runPg(tools: PgTools, program: string, args: string[], timeoutMs = 120_000): { ok: boolean; output: string } {
  const [cmd, argv] = pgCommand(tools, program, args);
  const result = spawnSync(cmd, argv, { cwd: os.tmpdir(), encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? result.error.message : ''}`.trim() };
}

function initPostgres(tools: StackTools, config: StackConfig): void {
  if (fs.existsSync(path.join(pgData, 'PG_VERSION'))) return;
  say(`creating a PostgreSQL cluster in ${path.relative(projectRoot, pgData)} (user ${config.postgresUser})`);
  fs.rmSync(pgData, { recursive: true, force: true });
  fs.mkdirSync(pgData, { recursive: true, mode: 0o700 });
  const pwfile = path.join(os.tmpdir(), `stack-pg-${process.pid}.pw`);
  fs.writeFileSync(pwfile, `${config.postgresPassword}\n`, { mode: 0o644 });
  try {
    if (asRoot) spawnSync('chown', ['-R', 'postgres:postgres', pgData]);
    const init = runPg(tools, 'initdb', ['-D', pgData, '-U', config.postgresUser, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C']);
    if (!init.ok) throw new Error(`initdb failed:\n${init.output}`);
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  // TCP on loopback only (the port is given at each start); no Unix socket to find a folder for.
  fs.appendFileSync(
    path.join(pgData, 'postgresql.conf'),
    ["\n# npm run stack", "listen_addresses = '127.0.0.1'", "unix_socket_directories = ''", 'max_connections = 200', ''].join('\n'),
  );
}

function postgresRunning(tools: PgTools): boolean {
  return fs.existsSync(path.join(pgData, 'postmaster.pid')) && runPg(tools, 'pg_ctl', ['-D', pgData, 'status']).ok;
}

function stopPostgres(tools: PgTools): void {
  if (!postgresRunning(tools)) return;
  say('stopping PostgreSQL');
  const stopped = runPg(tools, 'pg_ctl', ['-D', pgData, '-m', 'fast', '-w', '-t', '60', 'stop'], 90_000);
  if (!stopped.ok) complain(`pg_ctl stop: ${stopped.output}`);
}

/** pg_ctl without blocking the caller's event loop (the stack's watch, chaos). */
function pgCtl(tools: PgTools, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const [cmd, argv] = pgCommand(tools, 'pg_ctl', args);
    execFile(cmd, argv, { cwd: os.tmpdir(), encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ ok: !err, output: `${stdout}${stderr}${err ? err.message : ''}`.trim() }),
    );
  });
}

/** The postmaster's pid while PostgreSQL runs (the first line of postmaster.pid), else undefined. */
export function postmasterPid(): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(pgData, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * PostgreSQL started again after it died. Its old backends notice the postmaster's death
 * and exit within moments; until they have, a start is refused (shared memory in use): it
 * is tried again for a minute.
 */
async function startPostgresAgain(tools: PgTools, port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const started = await pgCtl(tools, ['-D', pgData, '-l', pgLog, '-o', `-p ${port}`, '-w', '-t', '60', 'start']);
    if (started.ok) return;
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not start again:\n${started.output}\n${tail(pgLog, 10)}`);
    await delay(1000);
  }
}

/** A readiness check asked again only until it passes (the UI logs every request). */
function once(check: () => Promise<boolean>): () => Promise<boolean> {
  let passed = false;
  return async () => (passed ||= await check());
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function startPostgres(tools: StackTools, config: StackConfig): void {
  initPostgres(tools, config);
  if (postgresRunning(tools)) throw new Error(`PostgreSQL already runs in ${pgData} (a stack killed without stopping?): run \`npm run stack:stop\` first`);
  say(`starting PostgreSQL on ${HOST}:${config.postgresPort} (log: ${path.relative(projectRoot, pgLog)})`);
  const started = runPg(tools, 'pg_ctl', ['-D', pgData, '-l', pgLog, '-o', `-p ${config.postgresPort}`, '-w', '-t', '60', 'start'], 90_000);
  if (!started.ok) {
    throw new Error(`PostgreSQL did not start:\n${started.output}\n${tail(pgLog, 10)}`);
  }
}

// ---------------------------------------------------------------------------------------
// Temporal: schema, namespace, search attributes

function setUpSchema(tools: StackTools, config: StackConfig): void {
  const base = ['--plugin', 'postgres12', '--ep', HOST, '-p', String(config.postgresPort), '-u', config.postgresUser, '--pw', config.postgresPassword];
  const sql = (db: string, args: string[]): { ok: boolean; output: string } => {
    const result = spawnSync(tools.sqlTool, [...base, '--db', db, ...args], { encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`.trim() };
  };
  for (const [db, schema] of [
    ['temporal', 'postgresql/v12/temporal'],
    ['temporal_visibility', 'postgresql/v12/visibility'],
  ] as const) {
    const created = sql(db, ['create-database']);
    if (!created.ok && !/already exists/.test(created.output)) throw new Error(`creating database ${db} failed:\n${created.output}`);
    // Versioning tables (CREATE ... IF NOT EXISTS), then every versioned change not applied yet.
    for (const args of [
      ['setup-schema', '-v', '0.0'],
      ['update-schema', '--schema-name', schema],
    ]) {
      const done = sql(db, args);
      if (!done.ok) throw new Error(`temporal-sql-tool ${args[0]} on ${db} failed:\n${done.output}`);
    }
  }
  say('Temporal schema is up to date (databases temporal, temporal_visibility)');
}

/** Retries `fn` until it succeeds or `timeoutMs` passes (the namespace cache lags behind the database). */
async function retrying<T>(what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      await delay(1000);
    }
  }
}

// temporal.api.enums.v1.IndexedValueType
const INDEXED_VALUE_TYPE: Partial<Record<SearchAttributeType, number>> = { [SearchAttributeType.KEYWORD]: 2, [SearchAttributeType.DATETIME]: 6, [SearchAttributeType.KEYWORD_LIST]: 7 };

async function registerNamespace(config: StackConfig): Promise<void> {
  const connection = await Connection.connect({ address: config.temporalAddress });
  try {
    const namespace = config.namespace;
    const exists = await connection.workflowService.describeNamespace({ namespace }).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msNumberToTs(config.retentionDays * 24 * 60 * 60 * 1000),
      });
      say(`namespace ${namespace} registered (retention ${config.retentionDays} days)`);
    }
    await retrying('registering the search attributes', 60_000, async () => {
      const listed = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = bookingSearchAttributeKeys.filter((key) => !(key.name in (listed.customAttributes ?? {})));
      if (missing.length === 0) return;
      const searchAttributes: Record<string, number> = {};
      for (const key of missing) {
        const type = INDEXED_VALUE_TYPE[key.type];
        if (type === undefined) throw new Error(`no indexed value type for ${key.name} (${key.type})`);
        searchAttributes[key.name] = type;
      }
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
      say(`search attributes added: ${missing.map((k) => `${k.name} (${k.type})`).join(', ')}`);
      throw new Error('added: checking again');
    });
    // Usable through the frontend's caches: a query on a booking attribute is answered.
    await retrying(`namespace ${namespace} answering visibility queries`, 60_000, () =>
      connection.workflowService.countWorkflowExecutions({ namespace, query: `${bookingSearchAttributeKeys[0].name} = "oks"` }),
    );
  } finally {
    await connection.close();
  }
}

// ---------------------------------------------------------------------------------------
// The run

async function checkPortsFree(config: StackConfig): Promise<void> {
  const p = config.temporalPort;
  const wanted: [number, string][] = [
    [config.postgresPort, 'PostgreSQL (STACK_POSTGRES_PORT)'],
    [p, 'Temporal gRPC (STACK_TEMPORAL_PORT)'],
    [p + 1, 'Temporal history'],
    [p + 2, 'Temporal matching'],
    [p + 6, 'Temporal worker'],
    [p + 10, 'Temporal HTTP'],
    [p - 300, 'Temporal membership'],
    [p - 299, 'Temporal membership'],
    [p - 298, 'Temporal membership'],
    [p - 294, 'Temporal membership'],
    [config.uiPort, 'Temporal UI (STACK_TEMPORAL_UI_PORT)'],
    [config.apiPort, 'API (STACK_API_PORT)'],
    ...PROVIDERS.map((pr): [number, string] => [config.simulatorPorts[pr]!, `${pr} simulator (STACK_SIMULATOR_PORT_OFFSET)`]),
  ];
  const taken: string[] = [];
  for (const [port, what] of wanted) if (await portAnswers(port)) taken.push(`${port} (${what})`);
  if (taken.length > 0) throw new Error(`port${taken.length > 1 ? 's' : ''} already in use: ${taken.join(', ')}. Another stack (\`npm run stack:stop\`)? Or set the variables named.`);
}

function readState(): StackState | undefined {
  try {
    return JSON.parse(fs.readFileSync(stackStateFile, 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

class StackRunner {
  private readonly supervisor = new Supervisor(output);
  private readonly children: Record<string, number> = {};
  private ready = false;

  constructor(
    private readonly config: StackConfig,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async run(): Promise<void> {
    const t0 = Date.now();
    this.supervisor.handleSignals();
    const other = readState();
    if (other && alive(other.pid)) throw new Error(`a stack already runs (pid ${other.pid}): \`npm run stack:stop\` stops it`);
    if (other) throw new Error(`a stack was killed without stopping (pid ${other.pid}): \`npm run stack:stop\` cleans up what it left`);
    fs.mkdirSync(dataDir, { recursive: true });
    this.writeState();
    this.supervisor.track({ stop: async () => fs.rmSync(stackStateFile, { force: true }) });
    await checkPortsFree(this.config);

    const tools = await ensureStackTools();
    if (this.supervisor.stopping) return;
    say(`tools ready in ${Math.round((Date.now() - t0) / 1000)} s`);
    startPostgres(tools, this.config);
    this.supervisor.track({ stop: async () => stopPostgres(tools) });
    this.watchPostgres(tools);
    setUpSchema(tools, this.config);
    if (this.supervisor.stopping) return;

    let temporalExited: string | undefined;
    say(`starting the Temporal server v${TEMPORAL_SERVER_VERSION} (log: ${path.relative(projectRoot, temporalLog)})`);
    fs.writeFileSync(temporalLog, '');
    this.spawn({
      name: 'temporal',
      index: 1,
      command: tools.server,
      args: ['start'],
      env: temporalServerEnv(this.config),
      graceMs: 30_000,
      what: 'the Temporal server',
      logFile: temporalLog,
      onExit: (how) => {
        if (!this.config.restartAll) temporalExited = how;
        if (!this.supervisor.stopping) complain(`the end of ${path.relative(projectRoot, temporalLog)}:\n${tail(temporalLog, 20)}`);
      },
    });
    await waitForAll(
      [
        [
          `the Temporal server on ${this.config.temporalAddress}`,
          async () => {
            if (temporalExited) throw new Error(`the Temporal server exited (${temporalExited}) before it answered`);
            return temporalAnswers(this.config.temporalAddress, 'temporal-system');
          },
        ],
      ],
      { stopping: () => this.supervisor.stopping, complain, hintAfterMs: 20_000, timeoutMs: 120_000 },
    );
    if (this.supervisor.stopping) return;
    say(`Temporal is up at ${this.config.temporalAddress}`);
    await registerNamespace(this.config);
    if (this.supervisor.stopping) return;

    this.spawn({
      name: 'temporal-ui',
      index: 2,
      command: tools.uiServer,
      args: ['--root', tools.uiRoot, '--env', 'docker', 'start'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TEMPORAL_ADDRESS: this.config.temporalAddress,
        TEMPORAL_UI_PORT: String(this.config.uiPort),
        TEMPORAL_DEFAULT_NAMESPACE: this.config.namespace,
        TEMPORAL_CORS_ORIGINS: `http://localhost:${this.config.uiPort},http://${HOST}:${this.config.uiPort}`,
        // The API's codec server; the browser sends it the session cookie the inbox's sign-in set.
        TEMPORAL_CODEC_ENDPOINT: `http://localhost:${this.config.apiPort}/codec`,
        TEMPORAL_CODEC_INCLUDE_CREDENTIALS: 'true',
      },
      graceMs: 10_000,
      what: 'the Temporal UI server',
    });
    this.spawn({ name: 'simulators', index: 3, command: process.execPath, args: ['--import', 'tsx', 'scripts/simulators.ts'], env: this.env, graceMs: 15_000 });
    // Workers are started again when they die (as compose's restart policy does).
    for (let i = 0; i < WORKERS; i++) {
      this.spawn({
        name: `worker-${i + 1}`,
        index: 4 + i,
        command: process.execPath,
        args: ['--import', 'tsx', 'worker/main.ts'],
        env: this.env,
        graceMs: 30_000,
        restartDelayMs: this.config.workerRestartDelayMs,
      });
    }
    this.spawn({ name: 'api', index: 6, command: process.execPath, args: ['--import', 'tsx', 'api/main.ts'], env: this.env, graceMs: 15_000 });

    const health = `http://${HOST}:${this.config.apiPort}/health`;
    const ready = await waitForAll(
      [
        ['the simulators to listen', async () => (await Promise.all(Object.values(this.config.simulatorPorts).map((port) => portAnswers(port)))).every(Boolean)],
        [`${health} to answer 200`, () => httpOk(health)],
        [`the Temporal UI on port ${this.config.uiPort}`, once(() => httpOk(`http://${HOST}:${this.config.uiPort}/`))],
        [
          `${WORKERS} workers to poll task queue ${this.config.taskQueue}`,
          async () => new Set(await taskQueuePollers(this.config.temporalAddress, this.config.namespace, this.config.taskQueue)).size >= WORKERS,
        ],
      ],
      { stopping: () => this.supervisor.stopping, complain },
    );
    if (!ready) return;
    this.ready = true;
    this.writeState();
    this.printBanner(Math.round((Date.now() - t0) / 1000));
  }

  /**
   * PostgreSQL is no child of the stack's (pg_ctl runs it), so it is watched: when it dies,
   * it is started again with STACK_RESTART=all, else the stack stops, as for the other parts.
   */
  private watchPostgres(tools: PgTools): void {
    let restarting = false;
    const timer = setInterval(() => {
      if (restarting || this.supervisor.stopping || postmasterPid() !== undefined) return;
      if (!this.config.restartAll) {
        complain('PostgreSQL died: stopping everything');
        void this.supervisor.shutdown(1);
        return;
      }
      restarting = true;
      complain('PostgreSQL died: starting it again');
      startPostgresAgain(tools, this.config.postgresPort).then(
        () => say(`PostgreSQL started again on ${HOST}:${this.config.postgresPort}`),
        (err: unknown) => complain(err instanceof Error ? err.message : String(err)),
      ).finally(() => {
        restarting = false;
      });
    }, 2_000);
    this.supervisor.track({ stop: async () => clearInterval(timer) });
  }

  /** Starts a child; with STACK_RESTART=all it is started again whenever it dies. The state file follows its pid. */
  private spawn(spec: Parameters<Supervisor['spawn']>[0]): void {
    this.supervisor.spawn({
      ...spec,
      restartDelayMs: spec.restartDelayMs ?? (this.config.restartAll ? this.config.restartDelayMs : undefined),
      onStart: (running) => {
        if (running.child.pid) this.children[spec.name] = running.child.pid;
        this.writeState();
      },
      onExit: (how) => {
        delete this.children[spec.name];
        this.writeState();
        spec.onExit?.(how);
      },
    });
  }

  private state(): StackState {
    const tokens = (this.env.API_TOKENS ?? '').split(',').map((entry) => entry.split(':'));
    return {
      pid: process.pid,
      ready: this.ready,
      children: { ...this.children },
      api: `http://localhost:${this.config.apiPort}`,
      ui: `http://localhost:${this.config.uiPort}`,
      temporalAddress: this.config.temporalAddress,
      namespace: this.config.namespace,
      taskQueue: this.config.taskQueue,
      workers: Object.fromEntries(Object.entries(this.children).filter(([name]) => name.startsWith('worker-'))),
      restartAll: this.config.restartAll,
      postgresPort: this.config.postgresPort,
      simulators: Object.fromEntries(PROVIDERS.map((p) => [p, `http://${HOST}:${this.config.simulatorPorts[p]}`])),
      tokens: {
        app: tokens.find((t) => (t[2] ?? 'app') === 'app')?.[0] ?? '',
        approver: tokens.find((t) => t[2] === 'approver')?.[0] ?? '',
      },
    };
  }

  private writeState(): void {
    if (this.supervisor.stopping) return;
    const scratch = `${stackStateFile}.tmp`;
    fs.writeFileSync(scratch, `${JSON.stringify(this.state(), null, 2)}\n`);
    fs.renameSync(scratch, stackStateFile);
  }

  private printBanner(seconds: number): void {
    const c = this.config;
    const state = this.state();
    const lines = [
      '',
      `The stack is up (${seconds} s). Ctrl-C, or \`npm run stack:stop\` elsewhere, stops it all.`,
      '',
      `  API              ${state.api}   (health: /health; tokens ${state.tokens.app} app, ${state.tokens.approver} approver)`,
      `  Approvals inbox  ${state.api}/inbox/   (the approver token signs in)`,
      `  Temporal UI      ${state.ui}`,
      `  Temporal gRPC    ${c.temporalAddress}   namespace ${c.namespace}, task queue ${c.taskQueue}`,
      `  Temporal CLI     npm run temporal:cli -- workflow list --address ${c.temporalAddress}`,
      `  PostgreSQL       ${HOST}:${c.postgresPort}   user ${c.postgresUser}, databases temporal and temporal_visibility, data in ${path.relative(projectRoot, pgData)}`,
      `  Workers          ${Object.entries(state.workers)
        .map(([name, pid]) => `${name} (pid ${pid})`)
        .join(', ')}`,
      '  Simulators:',
      ...PROVIDERS.map((p) => `    ${p.padEnd(10)} ${state.simulators[p]}`),
      '',
    ];
    for (const line of lines) say(line);
  }

  shutdown(code: number): Promise<never> {
    return this.supervisor.shutdown(code);
  }
}

// ---------------------------------------------------------------------------------------
// `stop`: from another terminal, or after a runner was killed

async function stopStack(): Promise<number> {
  const state = readState();
  if (state && alive(state.pid)) {
    say(`stopping the stack (pid ${state.pid})`);
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + 180_000;
    while (alive(state.pid) && Date.now() < deadline) await delay(250);
    if (alive(state.pid)) {
      complain(`the stack (pid ${state.pid}) did not stop within 180 s`);
      return 1;
    }
  } else if (state) {
    // The runner was killed outright: stop what it left, newest first.
    say(`the stack (pid ${state.pid}) is gone: stopping what it left`);
    for (const [name, pid] of Object.entries(state.children).reverse()) {
      if (!alive(pid)) continue;
      say(`stopping ${name} (pid ${pid})`);
      signalGroup(pid, 'SIGTERM');
      const deadline = Date.now() + 30_000;
      while (alive(pid) && Date.now() < deadline) await delay(250);
      if (alive(pid)) signalGroup(pid, 'SIGKILL');
    }
  }
  if (fs.existsSync(path.join(pgData, 'postmaster.pid'))) stopPostgres({ postgresBin: ensurePostgres() });
  else if (!state) say('no stack is running');
  fs.rmSync(stackStateFile, { force: true });
  say('stopped');
  return 0;
}

/** The children run in their own process groups (see processes.ts). */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

async function main(args: string[]): Promise<void> {
  const command = args[0] ?? 'start';
  if (command === 'stop') process.exit(await stopStack());
  if (command !== 'start') {
    complain(`unknown command ${command}: use \`npm run stack\` (start) or \`npm run stack -- stop\``);
    process.exit(2);
  }
  const config = stackConfig();
  const runner = new StackRunner(config, appEnv(config));
  try {
    await runner.run();
  } catch (err) {
    complain(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
    await runner.shutdown(1);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2));
}
