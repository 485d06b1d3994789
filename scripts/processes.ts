/**
 * What `npm start` (scripts/dev.ts) and `npm run stack` (scripts/stack.ts) share: child
 * processes in their own process groups with every output line prefixed by their name,
 * a supervisor that stops them in the reverse order of their start (on Ctrl-C/SIGTERM, or
 * when one of them dies, unless it is to be started again), the readiness probes (a port, Temporal, a task queue's
 * pollers, an HTTP 200), and the local payload key.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { Connection } from '@temporalio/client';
import { projectRoot } from './temporal-cli';

/** Where the runners and their children reach the servers. */
export const LOOPBACK = '127.0.0.1';

// ---------------------------------------------------------------------------------------
// Output

export interface Output {
  /** `[name]` padded to the widest name, coloured on a terminal. */
  label(name: string, index: number): string;
  /** A line of the runner's own. */
  say(message: string): void;
  complain(message: string): void;
}

const palette = ['\x1b[35m', '\x1b[36m', '\x1b[33m', '\x1b[32m', '\x1b[34m', '\x1b[31m', '\x1b[95m', '\x1b[96m'];

/** Output labels as wide as the longest of `names`; the runner's own lines are labelled `runner`. */
export function createOutput(runner: string, names: string[], runnerIndex: number): Output {
  const useColor = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const width = Math.max(runner.length, ...names.map((n) => n.length));
  const label = (name: string, index: number): string => {
    const text = `[${name}]`.padEnd(width + 2);
    return useColor ? `${palette[index % palette.length]}${text}\x1b[0m` : text;
  };
  const own = label(runner, runnerIndex);
  return {
    label,
    say: (message) => process.stdout.write(`${own} ${message}\n`),
    complain: (message) => process.stderr.write(`${own} ${message}\n`),
  };
}

function pipeLines(stream: Readable | null, prefix: string, out: NodeJS.WriteStream): void {
  if (!stream) return;
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${prefix} ${line}\n`));
}

// ---------------------------------------------------------------------------------------
// Processes

const detached = process.platform !== 'win32';

export interface Running {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

export function startProcess(
  output: Output,
  name: string,
  index: number,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onExit: (code: number | null, signal: NodeJS.Signals | null) => void,
  cwd = projectRoot,
  /** Appends the child's output to this file instead of the terminal. */
  logFile?: string,
): Running {
  // Own process group: the terminal's Ctrl-C reaches only the runner, which stops the
  // children in order; and a signal to the group also reaches tsx's and npx's children.
  const log = logFile === undefined ? undefined : fs.openSync(logFile, 'a');
  const stdio: StdioOptions = log === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', log, log];
  const child = spawn(command, args, { cwd, env, detached, stdio });
  if (log !== undefined) fs.closeSync(log);
  const prefix = output.label(name, index);
  pipeLines(child.stdout, prefix, process.stdout);
  pipeLines(child.stderr, prefix, process.stderr);
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      onExit(code, signal);
      resolve();
    });
    child.on('error', (err) => {
      output.complain(`${name}: ${err.message}`);
      if (child.pid === undefined) {
        onExit(null, null);
        resolve();
      }
    });
  });
  return { name, child, exited };
}

export function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Signals the child's whole process group (tsx and npx run the real program as their child). */
export function signalProcess(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!isRunning(child) || child.pid === undefined) return;
  try {
    if (detached) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    child.kill(signal);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(output: Output, running: Running, graceMs: number): Promise<void> {
  if (!isRunning(running.child)) return;
  signalProcess(running.child, 'SIGTERM');
  const timer = setTimeout(() => {
    output.complain(`${running.name} did not stop within ${graceMs / 1000} s: killing it`);
    signalProcess(running.child, 'SIGKILL');
  }, graceMs);
  await running.exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------
// Supervision

interface Stoppable {
  /** Stops it gracefully (the supervisor waits). */
  stop(): Promise<void>;
  /** Kills it at once (a second Ctrl-C). */
  kill?(): void;
}

/**
 * Keeps what a runner started and stops it newest first: on SIGINT/SIGTERM/SIGHUP (a second
 * one kills everything at once), or when a child it watches exits on its own.
 */
export class Supervisor {
  private readonly started: Stoppable[] = [];
  private stoppingNow = false;
  private signalCount = 0;
  private firstSignalAt: number | undefined;

  constructor(
    private readonly output: Output,
    /** Said once everything is stopped (only when something was started). */
    private readonly stoppedMessage = 'stopped',
  ) {}

  get stopping(): boolean {
    return this.stoppingNow;
  }

  handleSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => this.onSignal(signal));
    }
  }

  /** Something to stop at shutdown, after whatever is tracked later. */
  track(stoppable: Stoppable): void {
    this.started.push(stoppable);
  }

  /**
   * Starts a child and tracks it. When it exits while the supervisor is not stopping, it is
   * started again after `restartDelayMs` when that is given (`onStart` hears of each new
   * process); otherwise the rest is stopped and the runner exits 1 (`what` names it in that
   * message).
   */
  spawn(spec: {
    name: string;
    index: number;
    command: string;
    args: string[];
    env: NodeJS.ProcessEnv;
    graceMs: number;
    what?: string;
    cwd?: string;
    logFile?: string;
    onExit?: (how: string) => void;
    restartDelayMs?: number;
    onStart?: (running: Running) => void;
  }): Running {
    let stopped = false;
    let restartTimer: NodeJS.Timeout | undefined;
    const start = (): Running => {
      const running = startProcess(
        this.output,
        spec.name,
        spec.index,
        spec.command,
        spec.args,
        spec.env,
        (code, signal) => {
          const how = signal ? `signal ${signal}` : `code ${code}`;
          spec.onExit?.(how);
          if (this.stoppingNow || stopped) return;
          if (spec.restartDelayMs !== undefined) {
            this.output.complain(`${spec.what ?? spec.name} exited (${how}): starting it again in ${spec.restartDelayMs / 1000} s`);
            restartTimer = setTimeout(() => {
              restartTimer = undefined;
              if (!this.stoppingNow && !stopped) current = start();
            }, spec.restartDelayMs);
            return;
          }
          this.output.complain(`${spec.what ?? spec.name} exited unexpectedly (${how}): stopping everything`);
          void this.shutdown(1);
        },
        spec.cwd,
        spec.logFile,
      );
      spec.onStart?.(running);
      return running;
    };
    let current = start();
    this.track({
      stop: async () => {
        stopped = true;
        if (restartTimer) clearTimeout(restartTimer);
        await stopProcess(this.output, current, spec.graceMs);
      },
      kill: () => {
        stopped = true;
        if (restartTimer) clearTimeout(restartTimer);
        signalProcess(current.child, 'SIGKILL');
      },
    });
    return current;
  }

  private onSignal(signal: NodeJS.Signals): void {
    // `tsx scripts/<runner>.ts` relays the terminal's Ctrl-C that reached us already: one
    // press can arrive twice within a few milliseconds.
    const now = Date.now();
    if (this.firstSignalAt !== undefined && now - this.firstSignalAt < 1000) return;
    this.firstSignalAt ??= now;
    this.signalCount += 1;
    if (this.signalCount > 1) {
      this.output.complain(`${signal} again: killing everything now`);
      for (const s of this.started) s.kill?.();
      process.exit(130);
    }
    this.output.say(`${signal}: stopping (again to kill at once)`);
    void this.shutdown(0);
  }

  async shutdown(code: number): Promise<never> {
    if (this.stoppingNow) return new Promise<never>(() => undefined);
    this.stoppingNow = true;
    for (const s of [...this.started].reverse()) {
      try {
        await s.stop();
      } catch (err) {
        this.output.complain(`stopping: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (this.started.length > 0) this.output.say(code === 0 ? this.stoppedMessage : `${this.stoppedMessage} (exit code ${code})`);
    process.exit(code);
  }
}

// ---------------------------------------------------------------------------------------
// Probes

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when something accepts TCP connections on host:port. */
export function portAnswers(port: number, host = LOOPBACK, timeoutMs = 1000): Promise<boolean> {
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
export async function temporalAnswers(address: string, namespace: string): Promise<boolean> {
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

/** The identities of the workers polling the task queue for workflow tasks (none when Temporal does not answer). */
export async function taskQueuePollers(address: string, namespace: string, taskQueue: string): Promise<string[]> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2000 });
    const res = await connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    return (res.pollers ?? []).map((p) => p.identity ?? '');
  } catch {
    return [];
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Polls every check until all pass (true) or `stopping()` says to give up (false); says
 * once what it still waits for after `hintAfterMs`.
 */
export async function waitForAll(
  checks: [string, () => Promise<boolean>][],
  opts: { stopping: () => boolean; complain: (message: string) => void; hintAfterMs?: number; timeoutMs?: number },
): Promise<boolean> {
  const started = Date.now();
  let hinted = false;
  while (!opts.stopping()) {
    const pending: string[] = [];
    for (const [what, check] of checks) if (!(await check())) pending.push(what);
    if (pending.length === 0) return true;
    if (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs) {
      throw new Error(`not ready within ${Math.round(opts.timeoutMs / 1000)} s: still waiting for ${pending.join(', ')}`);
    }
    if (!hinted && Date.now() - started > (opts.hintAfterMs ?? 60_000)) {
      hinted = true;
      opts.complain(`still waiting for ${pending.join(', ')}...`);
    }
    await delay(500);
  }
  return false;
}

/**
 * The payload keys of a local run (`npm start`, the stack) when PAYLOAD_KEYS is not set: one key,
 * drawn on the first run and kept in .data/payload-keys (readable by its owner only), so bookings
 * sealed yesterday still open today.
 */
export function localPayloadKeys(dataDir: string): string {
  const file = path.join(dataDir, 'payload-keys');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    const id = `local-${new Date().toISOString().slice(0, 10)}`;
    try {
      fs.writeFileSync(file, `${id}:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another runner drew it first: theirs is the key.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return fs.readFileSync(file, 'utf8').trim();
}
