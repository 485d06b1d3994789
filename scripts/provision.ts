/**
 * What the provisioning scripts share (the Temporal CLI and server, schemathesis,
 * PostgreSQL, Chromium): finding and running a program quietly, and installing Debian's
 * packages with apt-get when the machine lacks them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Whether `file` is a file this process may run. */
export function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A program on PATH (`.exe` added on Windows). */
export function findOnPath(name: string): string | undefined {
  const exe = process.platform === 'win32' ? '.exe' : '';
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.resolve(dir, name + exe);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Runs a program to its end, quietly unless `inherit`; the output comes back for the error message. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; inherit?: boolean } = {},
): { ok: boolean; output: string } {
  const result = spawnSync(cmd, args, {
    cwd: opts.cwd ?? os.tmpdir(),
    env: opts.env ?? process.env,
    encoding: 'utf8',
    stdio: opts.inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 10 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) return { ok: false, output: result.error.message };
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

/** The end of a long output, indented under the message that quotes it. */
export function lastLines(text: string, n = 10): string {
  return text.trim().split('\n').slice(-n).map((line) => `    ${line}`).join('\n');
}

/**
 * Debian's packages installed with apt-get (as root, else with `sudo -n`), the package
 * lists updated first; throws with apt-get's last words when it cannot.
 */
export function aptInstall(packages: string[], log: (message: string) => void): void {
  if (process.platform !== 'linux' || !isExecutableFile('/usr/bin/apt-get')) {
    throw new Error(`${packages.join(', ')} missing, and there is no apt-get here to install them: install them by hand`);
  }
  const asRoot = process.getuid?.() === 0;
  const [cmd, ...pre] = asRoot ? ['apt-get'] : ['sudo', '-n', 'apt-get'];
  log(`apt-get install ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = run(cmd!, [...pre, 'update'], { env, timeoutMs: 10 * 60_000, inherit: true });
  const install = update.ok ? run(cmd!, [...pre, 'install', '-y', '--no-install-recommends', ...packages], { env, timeoutMs: 20 * 60_000, inherit: true }) : update;
  if (!install.ok) throw new Error(`apt-get could not install ${packages.join(', ')}${install.output ? `:\n${lastLines(install.output)}` : ''}`);
}
