/**
 * What the scripts that drive `npm run stack` from outside share (stack:smoke, chaos): its
 * state file, starting a stack of their own with its output in a log file and stopping it,
 * and the simulators' control surface.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { delay } from './processes';
import { type StackState, stackStateFile } from './stack';
import { projectRoot } from './temporal-cli';

export function readState(): StackState | undefined {
  try {
    return JSON.parse(fs.readFileSync(stackStateFile, 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function logTail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** `npm run stack:stop`: cleans up after a stack killed without stopping. */
export function cleanUpKilledStack(say: (message: string) => void): void {
  say('a stack was killed without stopping: npm run stack:stop cleans up first');
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/stack.ts', 'stop'], { cwd: projectRoot, stdio: 'inherit' });
}

export interface StartedStack {
  child: ChildProcess;
  exit: Promise<number>;
  log: string;
}

/** Starts `npm run stack` with `env` added, its output in `log`; resolves once .data/stack.json says it is ready. */
export async function startStack(log: string, env: NodeJS.ProcessEnv, say: (message: string) => void): Promise<StartedStack> {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const fd = fs.openSync(log, 'w');
  say(`starting the stack (npm run stack; output in ${path.relative(projectRoot, log)})`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/stack.ts'], {
    cwd: projectRoot,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  fs.closeSync(fd);
  const exit = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  let exited: number | undefined;
  void exit.then((code) => (exited = code));
  // A cold Go build of the Temporal server takes minutes.
  const deadline = Date.now() + 45 * 60_000;
  for (;;) {
    const state = readState();
    if (state?.ready && state.pid === child.pid) return { child, exit, log };
    if (exited !== undefined) throw new Error(`the stack exited (${exited}) before it was up:\n${logTail(log)}`);
    if (Date.now() > deadline) throw new Error(`the stack was not up within 45 minutes:\n${logTail(log)}`);
    await delay(1000);
  }
}

/** SIGTERM, and how it went: the exit code (-1 when it took over 180 s: then killed) and whether the state file is gone. */
export async function stopStarted(stack: StartedStack): Promise<{ code: number; clean: boolean; seconds: number }> {
  const t0 = Date.now();
  stack.child.kill('SIGTERM');
  const code = await Promise.race([stack.exit, delay(180_000).then(() => -1)]);
  if (code === -1) stack.child.kill('SIGKILL');
  return { code, clean: code === 0 && !readState(), seconds: Math.round((Date.now() - t0) / 1000) };
}

/** POST to a simulator's /__control (`route` under it). */
export async function control(simulator: string, route: string, json: unknown): Promise<unknown> {
  const res = await fetch(`${simulator}/__control${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(json),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`simulator ${simulator}/__control${route} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** GET a simulator's /__control/state (its inventory). */
export async function simulatorState<T>(simulator: string): Promise<T> {
  const res = await fetch(`${simulator}/__control/state`, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`simulator ${simulator}/__control/state answered ${res.status}`);
  return (await res.json()) as T;
}
