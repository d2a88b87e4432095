// Test helpers for the stream commands: a nats-server of the test's own (loopback, a free port, its own store),
// the built CLI (dist/cli.js) as child processes, and waiting on `stream status --json`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectFleet, type Fleet } from '../../src/stream/nats';
import { fleetStatus } from '../../src/stream/status';

export const CLI = resolve(__dirname, '../../dist/cli.js');
export const NATS_SERVER =
  ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p)) ?? 'nats-server';

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

export interface Nats {
  url: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  log: string[];
  stop(): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

async function spawnServer(port: number, dir: string, log: string[]): Promise<ChildProcess> {
  const proc = spawn(NATS_SERVER, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`nats-server did not start:\n${log.join('')}`)), 15_000);
    const on = (b: Buffer) => {
      log.push(b.toString());
      if (log.join('').includes('Server is ready')) {
        clearTimeout(timer);
        res();
      }
    };
    proc.stderr!.on('data', on);
    proc.stdout!.on('data', on);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`nats-server exited ${code}:\n${log.join('')}`));
    });
  });
  proc.removeAllListeners('exit');
  return proc;
}

function waitExit(p: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (p.exitCode !== null || p.signalCode !== null) res();
    else p.once('exit', () => res());
  });
}

export async function startNats(): Promise<Nats> {
  const dir = mkdtempSync(join(tmpdir(), 'machlens-js-'));
  const port = await freePort();
  const log: string[] = [];
  const n: Nats = {
    url: `nats://127.0.0.1:${port}`,
    port,
    dir,
    log,
    proc: await spawnServer(port, dir, log),
    async stop() {
      n.proc.kill('SIGTERM');
      await waitExit(n.proc);
    },
    async kill() {
      n.proc.kill('SIGKILL');
      await waitExit(n.proc);
    },
    async restart() {
      log.length = 0;
      n.proc = await spawnServer(port, dir, log);
    },
    async dispose() {
      if (n.proc.exitCode === null && n.proc.signalCode === null) await n.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return n;
}

export function cli(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    timeout: 120_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface Worker {
  name: string;
  proc: ChildProcess;
  stderr: string[];
  exited: Promise<number | null>;
  term(): Promise<number | null>;
  kill(): Promise<void>;
}

export function startWorker(url: string, name: string, extra: string[] = [], env: Record<string, string> = {}): Worker {
  const proc = spawn(
    process.execPath,
    [
      CLI,
      'stream',
      'worker',
      '--server',
      url,
      '--name',
      name,
      '--idle-flush',
      '1s',
      '--lease',
      '1500ms',
      '--metrics-interval',
      '2s',
      ...extra,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  const stderr: string[] = [];
  proc.stderr!.on('data', (b: Buffer) => stderr.push(b.toString()));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return {
    name,
    proc,
    stderr,
    exited,
    async term() {
      proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

export interface StatusJson {
  partitions: {
    partition: number;
    owner: string | null;
    seq: number;
    lag: number;
    flushed: boolean;
    snapshotSeq: number;
    snapshotAgeMs: number | null;
  }[];
  workers: { name: string; partitions: number[] }[];
  telemetry: { messages: number; lastSeq: number };
  alerts: { messages: number };
  counts:
    | (Record<string, unknown> & {
        lines: number;
        parsed: number;
        malformed: number;
        late: number;
        evicted: Record<string, number>;
      })
    | null;
}

/** `stream status --json` through the built CLI. */
export function status(url: string): StatusJson | undefined {
  const r = cli(['stream', 'status', '--server', url, '--json']);
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout) as StatusJson;
}

// Polling goes through the same code in-process (one connection per server) so that waiting costs no process starts.
const polls = new Map<string, Promise<Fleet>>();
async function pollStatus(url: string): Promise<StatusJson | undefined> {
  let f = polls.get(url);
  if (!f) {
    f = connectFleet(url, { persistent: true, name: 'machlens-test-poll' });
    polls.set(url, f);
  }
  try {
    return JSON.parse(JSON.stringify(await within(fleetStatus(await f), 10_000, 'status'))) as StatusJson;
  } catch {
    return undefined;
  }
}
export async function closePolls(): Promise<void> {
  for (const f of polls.values()) await (await f.catch(() => undefined))?.close();
  polls.clear();
}

/** A promise, or an error naming what did not finish in time. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`${what}: not done in ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        res(v);
      },
      (e) => {
        clearTimeout(t);
        rej(e);
      },
    );
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll status until `done` holds (or time out with the last status in the message). */
export async function waitFor(url: string, done: (s: StatusJson) => boolean, timeoutMs = 60_000): Promise<StatusJson> {
  const until = Date.now() + timeoutMs;
  let last: StatusJson | undefined;
  while (Date.now() < until) {
    last = await pollStatus(url);
    if (last && done(last)) return last;
    await sleep(250);
  }
  throw new Error(`timed out waiting; last status: ${JSON.stringify(last)}`);
}

/** Every partition caught up and idle-flushed (or never had input). */
export function settled(s: StatusJson): boolean {
  return s.partitions.every((p) => p.lag === 0 && (p.flushed || p.seq === 0) && p.owner !== null);
}

export function alertLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((d) => d.type === 'alert');
}
