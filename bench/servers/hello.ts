/**
 * The machine's ceiling: bare Fastify 5 answering `{"hello":"world"}`, no logger, no hooks.
 * Run directly (`node --import tsx bench/servers/hello.ts`) it serves and prints its port.
 */
import { announce, isMain, packageVersion, peerTarget } from '../lib/peer.ts';

const version = packageVersion('fastify');

export const helloTarget = peerTarget({
  id: 'hello',
  label: `Fastify ${version} hello-world`,
  version,
  moduleUrl: import.meta.url,
  readyPath: '/',
  capabilities: { helloPath: '/' },
});

async function serve(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  announce(typeof addr === 'object' && addr ? addr.port : 0);
  const stop = () => {
    void app.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (isMain(import.meta.url)) await serve();
