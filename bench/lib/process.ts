import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** The line a peer server prints once it listens: `BENCH_READY {"port":1234}`. */
export const READY_PREFIX = 'BENCH_READY ';

/** A free TCP port on 127.0.0.1 (bind 0, read, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly spawnedAt: number;
  /** Everything the child wrote to stderr (bounded). */
  stderr(): string;
  /** Resolves with the port of the first READY line on stdout. */
  readyLine(timeoutMs: number): Promise<number>;
  stop(graceMs?: number): Promise<void>;
}

/** Spawns a node child with its own event loop; stdout is scanned for the READY line. */
export function spawnNode(args: readonly string[], env: NodeJS.ProcessEnv, verbose = false, cwd = process.cwd()): Child {
  const spawnedAt = performance.now();
  const proc = spawn(process.execPath, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`cannot spawn ${args.join(' ')}`);
  let err = '';
  let out = '';
  let exited = false;
  const exitWaiters: (() => void)[] = [];
  proc.on('exit', () => {
    exited = true;
    for (const w of exitWaiters) w();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    if (err.length < 20_000) err += d.toString();
    if (verbose) process.stderr.write(d);
  });
  const lineWaiters: ((line: string) => void)[] = [];
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      for (const w of lineWaiters) w(line);
    }
  });
  const child: Child = {
    proc,
    pid: proc.pid,
    spawnedAt,
    stderr: () => err,
    readyLine(timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ready line within ${timeoutMs} ms; stderr:\n${err}`)), timeoutMs);
        proc.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`child exited (${code}) before ready; stderr:\n${err}`));
        });
        lineWaiters.push((line) => {
          if (!line.startsWith(READY_PREFIX)) return;
          clearTimeout(timer);
          const { port } = JSON.parse(line.slice(READY_PREFIX.length)) as { port: number };
          resolve(port);
        });
      });
    },
    async stop(graceMs = 5000) {
      if (exited) return;
      const done = new Promise<void>((r) => exitWaiters.push(r));
      proc.kill('SIGTERM');
      const killed = await Promise.race([done.then(() => true), delay(graceMs).then(() => false)]);
      if (!killed) {
        proc.kill('SIGKILL');
        await done;
      }
    },
  };
  return child;
}

/**
 * Polls `url` until it answers 200; resolves with milliseconds since `since` (spawn time).
 * Polls every 5 ms so start-to-ready is measured to a few milliseconds.
 */
export async function waitFor200(url: string, since: number, timeoutMs: number, child?: Child): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child && child.proc.exitCode !== null) throw new Error(`server exited (${child.proc.exitCode}) before ready; stderr:\n${child.stderr()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - since;
    } catch {
      /* not listening yet */
    }
    await delay(5);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms${child ? `; stderr:\n${child.stderr()}` : ''}`);
}

/** Resident set size of a process in MiB, from /proc/<pid>/status (VmRSS). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** Runs a node command to completion; resolves stdout or rejects with stderr. */
export function runNode(args: readonly string[], env: NodeJS.ProcessEnv, cwd = process.cwd(), stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...args], { cwd, env, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (stdin !== undefined) proc.stdin!.end(stdin);
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code === 0) resolve(out);
      else
        reject(
          new Error(
            `${args
              .slice(0, 3)
              .map((a) => a.split('/').pop())
              .join(' ')} exited ${code}: ${(err || out).trim()}`,
          ),
        );
    });
  });
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (USER_HZ = 100). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** One-minute load average, from /proc/loadavg. */
export async function loadAverage(): Promise<number> {
  return Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);
}

/** Direct children of a process, from /proc/<pid>/task/<tid>/children (empty when it has none or is gone). */
export async function childPids(pid: number): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const out: number[] = [];
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '');
    for (const s of text.trim().split(/\s+/)) if (s) out.push(Number(s));
  }
  return out;
}

/** One process of a target whose CPU is measured: `gatehouse` false for helpers such as the proxy. */
export interface TargetProcess {
  readonly role: string;
  readonly pid: number;
  readonly gatehouse: boolean;
}

/** CPU seconds of each process (NaN for one that is gone). */
export async function cpuSecondsOf(procs: readonly TargetProcess[]): Promise<number[]> {
  return Promise.all(procs.map((p) => cpuSeconds(p.pid).catch(() => Number.NaN)));
}
