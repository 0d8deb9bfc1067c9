import { execFileSync } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly summary: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly totalMemMB: number;
  readonly platform: string;
  readonly kernel: string;
  readonly loadAverageAtStart: readonly number[];
}

export function describeMachine(): MachineInfo {
  const list = cpus();
  const cpuModel = list[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  const totalMemMB = Math.round(totalmem() / 1_000_000);
  return {
    summary: `${list.length} × ${cpuModel}, ${(totalMemMB / 1000).toFixed(0)} GB RAM`,
    cpuModel,
    cpuCount: list.length,
    totalMemMB,
    platform: `${process.platform} ${process.arch}`,
    kernel: release(),
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** Short commit of the working tree, with `-dirty` when it has changes; null outside git. */
export function gitCommit(cwd: string): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return null;
  }
}

/** ISO timestamp usable as a file name on every OS: 2025-01-31T12-00-00Z. */
export function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
}

/**
 * A fixed amount of single-threaded CPU work (10⁸ integer steps), timed five times: the median
 * in milliseconds. Lower is faster. Run before and after the cells, it tells two runs apart
 * when the host itself was slower (a shared VM whose neighbours are busy), which the load
 * average inside the VM does not show.
 */
export function cpuProbe(): number {
  const times: number[] = [];
  for (let trial = 0; trial < 5; trial++) {
    const t0 = process.hrtime.bigint();
    let x = 0;
    for (let i = 0; i < 100_000_000; i++) x = (x + (i % 7)) | 0;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6 + (x === -1 ? 1 : 0));
  }
  times.sort((a, b) => a - b);
  return Math.round(times[2]!);
}

/**
 * One loopback TCP round trip in microseconds: a 64-byte message echoed 20,000 times between a
 * client and a server socket of this process, median of three. HTTP serving is bound by the
 * kernel's socket path (every response is a `writev`), and on a virtual machine its cost moves
 * with the host (nested virtualization, neighbours) while `cpuProbe` may not: runs with the
 * same CPU probe and a different round trip get different hello-world ceilings.
 */
export async function loopbackProbeUs(): Promise<number> {
  const server = createServer((sock) => sock.on('data', (d) => sock.write(d)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const client = connect(port, '127.0.0.1');
  client.setNoDelay(true);
  await new Promise<void>((r) => client.once('connect', r));
  const msg = Buffer.alloc(64, 1);
  const times: number[] = [];
  try {
    for (let trial = 0; trial < 3; trial++) {
      const rounds = 20_000;
      const t0 = process.hrtime.bigint();
      await new Promise<void>((resolve) => {
        let left = rounds;
        let pending = 0;
        const onData = (d: Buffer) => {
          pending -= d.length;
          if (pending > 0) return;
          if (--left === 0) {
            client.off('data', onData);
            resolve();
            return;
          }
          pending = msg.length;
          client.write(msg);
        };
        client.on('data', onData);
        pending = msg.length;
        client.write(msg);
      });
      times.push(Number(process.hrtime.bigint() - t0) / 1000 / rounds);
    }
  } finally {
    client.destroy();
    await new Promise((r) => server.close(r));
  }
  times.sort((a, b) => a - b);
  return Math.round(times[1]! * 10) / 10;
}
