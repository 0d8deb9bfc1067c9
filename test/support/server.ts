/**
 * Shared helpers for flow tests over real HTTP.
 *
 *   const { url, gh, close } = await startTestServer({ tokens: { accessTokenFormat: 'opaque' } });
 *   const { client_id, client_secret } = await createTestClient(gh, { scope: 'read write' });
 *   … drive `url` with oauth4webapi / fetch …
 *   await close();
 *
 * The server binds port 0 on 127.0.0.1 and its issuer is that exact URL, so discovery, `iss`
 * and endpoint URLs are all real. (The port is bound first by a plain node:http server that hands
 * every request to the app's router: the issuer must be known before the app is built.)
 * Storage is in memory unless `database.url` (or GATEHOUSE_TEST_DATABASE_URL, to run every flow
 * against another backend, e.g. `sqlite::memory:`) says otherwise; keys are ES256 only unless
 * `keys.algorithms` says otherwise (RSA key generation is slow).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import type { Client } from '../../src/core/model/client.ts';
import type { Clock } from '../../src/core/ports/clock.ts';
import { OPERATOR_POLICY } from '../../src/core/registration/client-metadata.ts';
import { createGatehouse, type Gatehouse, type GatehouseOptions } from '../../src/compose.ts';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.ts';

export interface TestServer {
  /** Base URL, also the issuer: `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly gh: Gatehouse;
  close(): Promise<void>;
}

type Overrides = ConfigInput & Record<string, unknown>;

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    const plain = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = plain(prev) && plain(v) ? merge(prev, v) : v;
  }
  return out;
}

/** Production refuses the in-memory store: production tests get a throwaway SQLite file. */
async function productionTestStore(): Promise<string> {
  return `sqlite:${join(await mkdtemp(join(tmpdir(), 'gh-prod-test-')), 'gatehouse.db')}`;
}

export interface TestServerOptions {
  readonly clock?: Clock;
  readonly backchannel?: GatehouseOptions['backchannel'];
  /** Host name of the issuer (and of `url`) instead of `127.0.0.1`, e.g. `localhost`; the server still binds 127.0.0.1. */
  readonly issuerHost?: string;
  /** Observability options (e.g. OTEL_* variables for tracing tests) and a pino logger instead of silence. */
  readonly observe?: GatehouseOptions['observe'];
  readonly logger?: GatehouseOptions['logger'];
  /** A test CA the guarded outbound fetcher trusts (https servers the test runs on loopback). */
  readonly outboundTestCa?: string;
}

/** Starts Gatehouse on 127.0.0.1:0 with `overrides` on top of fast, silent test defaults. */
export async function startTestServer(overrides: Overrides = {}, opts: TestServerOptions = {}): Promise<TestServer> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const url = `http://${opts.issuerHost ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  try {
    const config = buildConfig(
      merge(
        {
          issuer: url,
          host: '127.0.0.1',
          port: 0,
          database: { url: process.env['GATEHOUSE_TEST_DATABASE_URL'] || (overrides['env'] === 'production' ? await productionTestStore() : 'memory:') },
          kek: randomBytes(32).toString('base64'),
          keys: { algorithms: ['ES256'] },
          tokens: { accessTokenSigningAlg: 'ES256', idTokenSigningAlg: 'ES256' },
          log: { level: 'silent' },
          // S19: the local jwks_uri and back-channel logout servers of flow tests listen on 127.0.0.1,
          // which the guarded fetcher refuses unless allow-listed (`outbound: { allowHosts: [] }` undoes it).
          // (Production refuses a loopback allow-list entry at config load, so production tests get none.)
          outbound: { allowHosts: overrides['env'] === 'production' ? [] : ['127.0.0.1'] },
          // Tests share two busy cores: CPU contention must not shed their requests as overload.
          // The shedding tests set their own thresholds (test/flows/resilience-shedding.test.ts).
          resilience: { shed: { maxEventLoopDelayMs: 0 } },
        },
        overrides,
      ),
    );
    const storage = config.database.url === 'memory:' ? createMemoryStorage(opts.clock ? { clock: opts.clock } : {}) : undefined;
    const gh = await createGatehouse(config, {
      logger: opts.logger ?? false,
      notice: () => {},
      ...(opts.observe ? { observe: opts.observe } : {}),
      ...(storage ? { storage } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.backchannel ? { backchannel: opts.backchannel } : {}),
      ...(opts.outboundTestCa ? { outboundTestCa: opts.outboundTestCa } : {}),
    });
    await gh.app.ready();
    server.on('request', (req, res) => gh.app.routing(req, res));
    return {
      url,
      gh,
      async close() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await gh.close();
        if (storage) await storage.close();
      },
    };
  } catch (e) {
    server.close();
    throw e;
  }
}

export interface TestClient {
  readonly client_id: string;
  /** Empty for clients without a shared secret (none, private_key_jwt). */
  readonly client_secret: string;
  readonly client: Client;
}

/**
 * Registers a client through the one client-creation path, with RFC 7591 metadata (defaults: a
 * confidential client_secret_basic client for client_credentials with scopes `read write`).
 * `opts.clientId` pins the id (for config that names clients, e.g. privileged introspectors):
 * the created record is stored again under that id (not for client_secret_jwt, whose sealed
 * secret is bound to the generated id).
 */
export async function createTestClient(gh: Gatehouse, metadata: Record<string, unknown> = {}, opts: { clientId?: string } = {}): Promise<TestClient> {
  const { ports, clientService } = gh.services;
  const { client, clientSecret } = await clientService.create({
    metadata: {
      client_name: 'test client',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read write',
      ...metadata,
    },
    policy: OPERATOR_POLICY,
    via: 'cli',
  });
  let stored = client;
  if (opts.clientId !== undefined) {
    stored = { ...client, clientId: opts.clientId };
    await ports.clients.create(stored);
    await ports.clients.delete(client.tenantId, client.clientId);
  }
  return { client_id: stored.clientId, client_secret: clientSecret ?? '', client: stored };
}

/** Tokens currently active in the store (for "nothing was written" assertions). */
export async function activeTokenCount(gh: Gatehouse): Promise<number> {
  return gh.services.storage.tokens.countActive(Math.floor(gh.services.ports.clock.now() / 1000));
}

/**
 * A clock that stands still, for limit tests: rate-limit windows are fixed and aligned on the
 * clock, so with a moving clock a test's requests could straddle a window boundary and the next
 * request would start a fresh budget (a rare, timing-dependent false failure).
 */
export function fixedClock(): Clock {
  const t = Date.now();
  return { now: () => t };
}
