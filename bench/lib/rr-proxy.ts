/**
 * A layer-4 round-robin proxy for the bench's two-instance target, run in its own process so its
 * CPU is measured apart from Gatehouse's and from the load generator's:
 *
 *   node --import tsx bench/lib/rr-proxy.ts '{"upstreams":[8081,8082]}'
 *
 * It listens on a free port of 127.0.0.1 and prints `BENCH_READY {"port":…}`. Each accepted TCP
 * connection goes to the next upstream in turn and its bytes are copied both ways unchanged (no
 * HTTP parsing, no header added): the model of an L4 load balancer (a TCP listener of HAProxy,
 * nginx `stream`, a cloud network load balancer). A kept-alive client connection therefore stays
 * on one instance for its life, so 50 client connections become 25 per instance; requests are not
 * balanced one by one as an L7 proxy would. Stops on SIGTERM.
 */
import { connect, createServer, type Socket } from 'node:net';
import { READY_PREFIX } from './process.ts';

export interface ProxyStats {
  readonly connections: readonly number[];
}

/** Starts the proxy on 127.0.0.1 (port 0 = any); resolves with its port and a close function. */
export function startRoundRobinProxy(upstreams: readonly number[], port = 0): Promise<{ port: number; stats: () => ProxyStats; close: () => Promise<void> }> {
  if (!upstreams.length) throw new Error('rr-proxy: no upstreams');
  let next = 0;
  const counts = upstreams.map(() => 0);
  const open = new Set<Socket>();
  const server = createServer({ noDelay: true }, (client) => {
    const i = next;
    next = (next + 1) % upstreams.length;
    counts[i]!++;
    const upstream = connect({ host: '127.0.0.1', port: upstreams[i]!, noDelay: true });
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : 0,
        stats: () => ({ connections: [...counts] }),
        close: () =>
          new Promise<void>((r) => {
            for (const s of open) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

// Run as a process: the argument is {"upstreams":[ports]}.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { upstreams, port } = JSON.parse(process.argv[2] ?? '{}') as { upstreams?: number[]; port?: number };
  const p = await startRoundRobinProxy(upstreams ?? [], port ?? 0);
  process.stdout.write(`${READY_PREFIX}${JSON.stringify({ port: p.port })}\n`);
  process.once('SIGTERM', () => {
    process.stderr.write(`rr-proxy: connections per upstream ${JSON.stringify(p.stats().connections)}\n`);
    void p.close().then(() => process.exit(0));
  });
}
