/**
 * Provisions what `npm run stack` runs besides our own processes, at pinned versions:
 *   - the Temporal server and its SQL tool (go.temporal.io/server v1.31.2), built from the
 *     Go module proxy into .tools/temporal-server-1.31.2 (the same versions as the
 *     temporalio/server and temporalio/admin-tools images in docker-compose.yml);
 *   - the Temporal UI server (github.com/temporalio/ui-server/v2 v2.49.1, as the
 *     temporalio/ui image), built into .tools/temporal-ui-2.49.1 with the image's config
 *     (config/docker.yaml: the same TEMPORAL_* variables);
 *   - PostgreSQL's binaries (initdb, pg_ctl, postgres): POSTGRES_BIN, else the newest
 *     /usr/lib/postgresql/<v>/bin, else `apt-get install postgresql`.
 *
 * Builds go into a scratch folder renamed at the end, so a killed build never looks
 * finished. Go's own module and build caches stay where Go keeps them (outside the
 * clone), so a rebuild in a fresh clone takes seconds once they are warm.
 *
 * Run directly (`npx tsx scripts/temporal-server.ts`) it provisions everything and
 * prints the paths.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aptInstall, isExecutableFile, lastLines, run } from './provision';
import { projectRoot } from './temporal-cli';

export const TEMPORAL_SERVER_VERSION = '1.31.2';
export const TEMPORAL_UI_VERSION = '2.49.1';
const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

const toolsDir = path.join(projectRoot, '.tools');
const serverDir = path.join(toolsDir, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
const uiDir = path.join(toolsDir, `temporal-ui-${TEMPORAL_UI_VERSION}`);

export interface StackTools {
  /** `temporal-server start` with its embedded config template (read from the environment). */
  server: string;
  sqlTool: string;
  /** The UI server: run it with `--root <uiRoot> --env docker start`. */
  uiServer: string;
  uiRoot: string;
  /** Folder of initdb, pg_ctl, postgres. */
  postgresBin: string;
}

function log(message: string): void {
  process.stderr.write(`[temporal-server] ${message}\n`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A long build, asynchronously: the runner still answers Ctrl-C and `npm run stack:stop`
 * meanwhile, and the build (its whole process group) is killed when the runner exits.
 */
function runLong(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: os.tmpdir(), env, detached: process.platform !== 'win32', stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-64 * 1024);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(process.platform === 'win32' ? child.pid : -child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    process.on('exit', kill);
    child.on('error', (err) => {
      process.off('exit', kill);
      resolve({ ok: false, output: err.message });
    });
    child.on('close', (code) => {
      process.off('exit', kill);
      resolve({ ok: code === 0, output });
    });
  });
}

function findGo(): string {
  const candidates = [process.env.GO, ...(process.env.PATH ?? '').split(path.delimiter).map((d) => d && path.join(d, 'go')), '/usr/local/go/bin/go'];
  const go = candidates.find((c): c is string => Boolean(c) && isExecutableFile(c as string));
  if (!go) throw new Error('the Go toolchain is needed to build the Temporal server (put `go` on PATH, or set GO; https://go.dev/dl)');
  return go;
}

/** From a temp folder with GOWORK off, so go never picks up a go.mod or go.work around the clone. */
function goEnv(gobin: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOBIN: gobin,
    CGO_ENABLED: '0',
    GO111MODULE: 'on',
    GOWORK: 'off',
    GOFLAGS: [process.env.GOFLAGS, '-buildvcs=false'].filter(Boolean).join(' '),
  };
}

/**
 * `go install` of `packages` into `dir`, each binary renamed as `names` says; nothing is
 * done when they are all there.
 */
async function goInstall(dir: string, packages: string[], names: Record<string, string>, extraArgs: string[], what: string): Promise<void> {
  if (Object.values(names).every((name) => isExecutableFile(path.join(dir, name)))) return;
  const go = findGo();
  const scratch = `${dir}.tmp-${process.pid}`;
  // Left by builds that were stopped (their runner is gone).
  for (const entry of fs.existsSync(toolsDir) ? fs.readdirSync(toolsDir) : []) {
    const match = new RegExp(`^${path.basename(dir).replace(/\./g, '\\.')}\\.tmp-(\\d+)$`).exec(entry);
    if (match && (Number(match[1]) === process.pid || !alive(Number(match[1])))) fs.rmSync(path.join(toolsDir, entry), { recursive: true, force: true });
  }
  fs.mkdirSync(scratch, { recursive: true });
  log(`building ${what} with ${go} into ${path.relative(projectRoot, dir)} (minutes the first time, seconds with a warm Go cache)`);
  const started = Date.now();
  const built = await runLong(go, ['install', ...extraArgs, ...packages], goEnv(scratch));
  if (!built.ok) {
    fs.rmSync(scratch, { recursive: true, force: true });
    throw new Error(`building ${what} failed:\n${lastLines(built.output)}`);
  }
  for (const [built, name] of Object.entries(names)) fs.renameSync(path.join(scratch, built), path.join(scratch, name));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(scratch, dir);
  log(`built ${what} in ${Math.round((Date.now() - started) / 1000)} s`);
}

function goModCache(): string {
  const out = run(findGo(), ['env', 'GOMODCACHE'], { env: goEnv(os.tmpdir()), timeoutMs: 60_000 });
  if (!out.ok) throw new Error(`go env GOMODCACHE failed:\n${lastLines(out.output)}`);
  return out.output.trim();
}

async function ensureServer(): Promise<{ server: string; sqlTool: string }> {
  await goInstall(
    serverDir,
    [`${SERVER_MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`, `${SERVER_MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`],
    { server: 'temporal-server', sql: 'temporal-sql-tool' },
    // The server's own release build flags: no cgo, optional gRPC modules left out, stripped.
    ['-tags', 'disable_grpc_modules', '-ldflags=-s -w'],
    `the Temporal server and SQL tool v${TEMPORAL_SERVER_VERSION}`,
  );
  return { server: path.join(serverDir, 'temporal-server'), sqlTool: path.join(serverDir, 'temporal-sql-tool') };
}

async function ensureUi(): Promise<{ uiServer: string; uiRoot: string }> {
  await goInstall(uiDir, [`${UI_MODULE}/cmd/server@v${TEMPORAL_UI_VERSION}`], { server: 'temporal-ui-server' }, ['-ldflags=-s -w'], `the Temporal UI server v${TEMPORAL_UI_VERSION}`);
  // The temporalio/ui image's config: base.yaml, then docker.yaml, a template of the
  // TEMPORAL_* variables. Our base.yaml only binds it to loopback, as the rest of the stack.
  const configDir = path.join(uiDir, 'config');
  if (!fs.existsSync(path.join(configDir, 'docker.yaml'))) {
    fs.mkdirSync(configDir, { recursive: true });
    fs.copyFileSync(path.join(goModCache(), `${UI_MODULE}@v${TEMPORAL_UI_VERSION}`, 'config', 'docker.yaml'), path.join(configDir, 'docker.yaml'));
  }
  fs.writeFileSync(path.join(configDir, 'base.yaml'), 'host: 127.0.0.1\n');
  return { uiServer: path.join(uiDir, 'temporal-ui-server'), uiRoot: uiDir };
}

function findPostgresBin(): string | undefined {
  const fromEnv = process.env.POSTGRES_BIN;
  if (fromEnv) {
    if (!isExecutableFile(path.join(fromEnv, 'pg_ctl'))) throw new Error(`POSTGRES_BIN is set to ${fromEnv}, but there is no pg_ctl there`);
    return fromEnv;
  }
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const bin = path.join(root, version, 'bin');
    if (['initdb', 'pg_ctl', 'postgres'].every((b) => isExecutableFile(path.join(bin, b)))) return bin;
  }
  return undefined;
}

/** PostgreSQL's bin folder, installed with apt-get when missing. */
export function ensurePostgres(): string {
  const found = findPostgresBin();
  if (found) return found;
  log('PostgreSQL is not installed');
  aptInstall(['postgresql'], log);
  const bin = findPostgresBin();
  if (!bin) throw new Error('apt-get installed postgresql, but there is no initdb, pg_ctl and postgres in /usr/lib/postgresql/<version>/bin: set POSTGRES_BIN');
  return bin;
}

export async function ensureStackTools(): Promise<StackTools> {
  const postgresBin = ensurePostgres();
  return { ...(await ensureServer()), ...(await ensureUi()), postgresBin };
}

if (require.main === module) {
  ensureStackTools().then(
    (tools) => process.stdout.write(`${JSON.stringify(tools, null, 2)}\n`),
    (err: unknown) => {
      log(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
