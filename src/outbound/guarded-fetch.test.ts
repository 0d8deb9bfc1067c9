import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { OutboundError, type OutboundFailure } from '../core/ports/outbound-http.ts';
import { createGuardedFetch, type GuardedFetcher, type GuardedFetchOptions } from './guarded-fetch.ts';

/** A real server on 127.0.0.1:0 that counts the connections it accepted. */
async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ port: number; url: string; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server: Server = createServer(handler);
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

const fetchers: GuardedFetcher[] = [];
after(async () => {
  await Promise.all(fetchers.map((f) => f.close()));
});

function guard(o: Partial<GuardedFetchOptions> = {}): GuardedFetcher {
  const f = createGuardedFetch({
    allowHosts: [],
    production: false,
    connectTimeoutMs: 1000,
    timeoutMs: 2000,
    maxBytes: { client_jwks: 64 * 1024, backchannel_logout: 1024, event_webhook: 1024, otlp_export: 1024, client_metadata: 1024 },
    ...o,
  });
  fetchers.push(f);
  return f;
}

async function failsWith(p: Promise<unknown>, reason: OutboundFailure): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof OutboundError, String(e));
    assert.equal(e.reason, reason, e.message);
    return true;
  });
}

describe('S19 guarded outbound fetcher (over real sockets)', () => {
  test('loopback is refused by default, before any connection; allow-listed it is fetched', async () => {
    const s = await serve((_q, r) => r.end('{"keys":[]}'));
    try {
      await failsWith(guard().fetch(`${s.url}/jwks`, { purpose: 'client_jwks' }), 'refused_address');
      assert.equal(s.connections(), 0);
      const res = await guard({ allowHosts: ['127.0.0.1'] }).fetch(`${s.url}/jwks`, { purpose: 'client_jwks' });
      assert.equal(res.status, 200);
      assert.equal(new TextDecoder().decode(res.body), '{"keys":[]}');
    } finally {
      await s.close();
    }
  });

  test('WHATWG URL §4.3 every numeric notation of a loopback host is refused', async () => {
    const s = await serve((_q, r) => r.end('x'));
    try {
      const f = guard();
      for (const host of [
        '2130706433',
        '0x7f000001',
        '0x7f.1',
        '0177.0.0.1',
        '017700000001',
        '127.1',
        '127.0.1',
        '0',
        '[::1]',
        '[::ffff:127.0.0.1]',
        '[::ffff:7f00:1]',
        '[0:0:0:0:0:ffff:7f00:1]',
        '[::127.0.0.1]',
      ]) {
        await failsWith(f.fetch(`http://${host}:${s.port}/`, { purpose: 'client_jwks' }), 'refused_address');
      }
      assert.equal(s.connections(), 0);
    } finally {
      await s.close();
    }
  });

  test('a hostname that resolves to loopback is refused: localhost, and a custom resolver', async () => {
    const s = await serve((_q, r) => r.end('x'));
    try {
      await failsWith(guard().fetch(`http://localhost:${s.port}/`, { purpose: 'client_jwks' }), 'refused_address');
      // Refused when ANY of the answers is special (one public answer does not make it safe).
      const mixed = guard({
        resolve: async () => [
          { address: '93.184.215.14', family: 4 },
          { address: '127.0.0.1', family: 4 },
        ],
      });
      await failsWith(mixed.fetch(`http://keys.example:${s.port}/`, { purpose: 'client_jwks' }), 'refused_address');
      const meta = guard({ resolve: async () => [{ address: '169.254.169.254', family: 4 }] });
      await failsWith(meta.fetch(`http://metadata.example:${s.port}/`, { purpose: 'client_jwks' }), 'refused_address');
      assert.equal(s.connections(), 0);
    } finally {
      await s.close();
    }
  });

  test('the connection goes to the address that was checked, resolved once (no rebinding window)', async () => {
    const s = await serve((_q, r) => r.end('ok'));
    try {
      let lookups = 0;
      // keys.example does not exist in DNS: reaching the server proves the socket used this answer.
      const f = guard({
        allowHosts: ['127.0.0.1'],
        resolve: async () => {
          lookups++;
          return [{ address: '127.0.0.1', family: 4 }];
        },
      });
      const res = await f.fetch(`http://keys.example:${s.port}/`, { purpose: 'client_jwks' });
      assert.equal(res.status, 200);
      assert.equal(lookups, 1);
      assert.equal(s.connections(), 1);
    } finally {
      await s.close();
    }
  });

  test('a redirect is a failure and is not followed', async () => {
    const target = await serve((_q, r) => r.end('x'));
    const s = await serve((_q, r) => r.writeHead(302, { location: `${target.url}/elsewhere` }).end());
    try {
      await failsWith(guard({ allowHosts: ['127.0.0.1'] }).fetch(s.url, { purpose: 'client_jwks' }), 'redirect');
      assert.equal(target.connections(), 0);
    } finally {
      await s.close();
      await target.close();
    }
  });

  test('RFC 9110 §15.4.5 a 304 answers a conditional request (If-None-Match, If-Modified-Since) and nothing else', async () => {
    const s = await serve((_q, r) => r.writeHead(304, { etag: '"v1"' }).end());
    try {
      const f = guard({ allowHosts: ['127.0.0.1'] });
      const conditionals: Record<string, string>[] = [{ 'If-None-Match': '"v1"' }, { 'if-modified-since': 'Thu, 15 Jan 2026 12:00:00 GMT' }];
      for (const headers of conditionals) {
        const res = await f.fetch(s.url, { purpose: 'client_metadata', headers });
        assert.equal(res.status, 304);
        assert.equal(res.headers['etag'], '"v1"');
      }
      await failsWith(f.fetch(s.url, { purpose: 'client_metadata', headers: { accept: 'application/json' } }), 'redirect');
    } finally {
      await s.close();
    }
  });

  test('CWE-400 a body over the byte limit is abandoned while streaming (the server cannot push more)', async () => {
    let written = 0;
    let stopped!: () => void;
    const closed = new Promise<void>((r) => {
      stopped = r;
    });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    // Streams up to 100 MB without a content-length, respecting back-pressure.
    const s = await serve((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.on('close', () => stopped());
      const pump = () => {
        while (!res.destroyed && written < 100 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    try {
      const started = Date.now();
      await failsWith(guard({ allowHosts: ['127.0.0.1'] }).fetch(s.url, { purpose: 'client_jwks' }), 'too_large');
      await closed;
      assert.ok(Date.now() - started < 1500, 'aborted at once, not at the time limit');
      // The limit is 64 KiB; what the server managed to write is bounded by socket buffers.
      assert.ok(written < 16 * 1024 * 1024, `server wrote ${written} bytes`);
    } finally {
      await s.close();
    }
  });

  test('a declared content-length over the limit fails before reading; the limit follows the purpose', async () => {
    const s = await serve((_q, res) => res.writeHead(200, { 'content-length': '2000' }).end('x'.repeat(2000)));
    try {
      const f = guard({ allowHosts: ['127.0.0.1'] });
      assert.equal((await f.fetch(s.url, { purpose: 'client_jwks' })).body.length, 2000);
      await failsWith(f.fetch(s.url, { purpose: 'backchannel_logout', method: 'POST', body: 'a=b' }), 'too_large');
    } finally {
      await s.close();
    }
  });

  test('a slow server hits the time limit (headers never come, or the body stalls)', async () => {
    const hang = await serve(() => {});
    const stall = await serve((_q, res) => {
      res.writeHead(200);
      res.write('{"keys":');
    });
    try {
      const f = guard({ allowHosts: ['127.0.0.1'], timeoutMs: 300 });
      for (const s of [hang, stall]) {
        const started = Date.now();
        await failsWith(f.fetch(s.url, { purpose: 'client_jwks' }), 'timeout');
        assert.ok(Date.now() - started < 1500);
      }
    } finally {
      await hang.close();
      await stall.close();
    }
  });

  test('production: http is refused before connecting, even to an allow-listed destination', async () => {
    const s = await serve((_q, r) => r.end('x'));
    try {
      const f = guard({ production: true, allowHosts: ['10.0.0.0/8'], resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
      await failsWith(f.fetch(`http://keys.example:${s.port}/`, { purpose: 'client_jwks' }), 'not_https');
      await failsWith(f.fetch('ftp://keys.example/x', { purpose: 'client_jwks' }), 'invalid_url');
      assert.equal(s.connections(), 0);
    } finally {
      await s.close();
    }
  });

  test('fetchTrusted (operator-configured destinations) skips the address check only', async () => {
    const s = await serve((_q, res) => res.writeHead(200).end('y'.repeat(5000)));
    try {
      const f = guard();
      await failsWith(f.fetch(s.url, { purpose: 'backchannel_logout' }), 'refused_address');
      await failsWith(f.fetchTrusted(s.url, { purpose: 'backchannel_logout' }), 'too_large');
      assert.equal((await f.fetchTrusted(s.url, { purpose: 'client_jwks' })).status, 200);
    } finally {
      await s.close();
    }
  });

  test('a refused connection is a network failure', async () => {
    const s = await serve(() => {});
    await s.close();
    await failsWith(guard({ allowHosts: ['127.0.0.1'] }).fetch(s.url, { purpose: 'client_jwks' }), 'network');
  });
});
