/**
 * Finds or provisions schemathesis (the property-based API tester the test suite runs
 * against the OpenAPI document, test/schemathesis.test.ts). Tried in order:
 *   1. env SCHEMATHESIS (a path to the `schemathesis` executable; an error if it does not exist);
 *   2. the PyPI package schemathesis==4.32.5 in a virtualenv at .tools/schemathesis-4.32.5
 *      (reused when present; made with `python3 -m venv` and pip otherwise).
 *
 * Run directly (`npx tsx scripts/schemathesis.ts`) it prints the executable's path;
 * extra arguments are passed to it: `npx tsx scripts/schemathesis.ts run <url>`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findOnPath, isExecutableFile, run } from './provision';
import { projectRoot } from './temporal-cli';

export const SCHEMATHESIS_VERSION = '4.32.5';

const toolsDir = path.join(projectRoot, '.tools');
const venvDir = path.join(toolsDir, `schemathesis-${SCHEMATHESIS_VERSION}`);
const binOf = (venv: string): string =>
  process.platform === 'win32' ? path.join(venv, 'Scripts', 'schemathesis.exe') : path.join(venv, 'bin', 'schemathesis');

function log(message: string): void {
  process.stderr.write(`[schemathesis] ${message}\n`);
}

/** pip and the tool, run quietly from the project. */
const PIP = { cwd: projectRoot, env: { ...process.env, PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' } };

/** Whether the virtualenv's schemathesis runs and is the pinned version. */
function works(bin: string): boolean {
  if (!isExecutableFile(bin)) return false;
  const version = run(bin, ['--version'], PIP);
  return version.ok && version.output.includes(SCHEMATHESIS_VERSION);
}

/**
 * A virtualenv cannot be moved (its scripts name their own folder), so it is made in
 * place; a marker file written last says it is finished, and a lock keeps two runs
 * from making it at once.
 */
function install(): string {
  const python = (findOnPath('python3') ?? findOnPath('python'));
  if (!python) throw new Error('schemathesis needs Python 3 (python3 on PATH) to be installed into .tools');
  fs.mkdirSync(toolsDir, { recursive: true });
  const lock = `${venvDir}.lock`;
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} is still there after 10 minutes: remove it if no install is running`);
      if (works(binOf(venvDir)) && fs.existsSync(path.join(venvDir, '.complete'))) return binOf(venvDir);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2_000);
    }
  }
  try {
    fs.rmSync(venvDir, { recursive: true, force: true });
    log(`installing schemathesis==${SCHEMATHESIS_VERSION} with pip into ${path.relative(projectRoot, venvDir)}`);
    const venv = run(python, ['-m', 'venv', venvDir], PIP);
    if (!venv.ok) throw new Error(`python -m venv failed:\n${venv.output}`);
    const venvPython = process.platform === 'win32' ? path.join(venvDir, 'Scripts', 'python.exe') : path.join(venvDir, 'bin', 'python');
    const pip = run(venvPython, ['-m', 'pip', 'install', '--quiet', '--timeout', '30', `schemathesis==${SCHEMATHESIS_VERSION}`], PIP);
    if (!pip.ok || !works(binOf(venvDir))) {
      fs.rmSync(venvDir, { recursive: true, force: true });
      throw new Error(`pip install of schemathesis==${SCHEMATHESIS_VERSION} failed:\n${pip.output.split('\n').slice(-10).join('\n')}`);
    }
    fs.writeFileSync(path.join(venvDir, '.complete'), `${SCHEMATHESIS_VERSION}\n`);
    return binOf(venvDir);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** The path of a `schemathesis` executable of the pinned version, installed if needed. */
export function ensureSchemathesis(): string {
  const fromEnv = process.env.SCHEMATHESIS;
  if (fromEnv) {
    if (!isExecutableFile(fromEnv)) throw new Error(`SCHEMATHESIS is set to ${fromEnv}, but that is not an executable file`);
    return path.resolve(fromEnv);
  }
  const bin = binOf(venvDir);
  if (fs.existsSync(path.join(venvDir, '.complete')) && isExecutableFile(bin)) return bin;
  return install();
}

if (require.main === module) {
  const bin = ensureSchemathesis();
  const args = process.argv.slice(2);
  if (args.length === 0) {
    process.stdout.write(`${bin}\n`);
  } else {
    const child = spawn(bin, args, { stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 1));
  }
}
