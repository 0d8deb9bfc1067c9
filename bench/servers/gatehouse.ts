/**
 * Gatehouse as an operator runs it: the compiled CLI (`node bin/gatehouse.js serve`) in production
 * mode on SQLite, in its own process. Clients are created beforehand with `gatehouse clients create`;
 * the token format follows the requested resource (RFC 8707), as node-oidc-provider is configured.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACCESS_TOKEN_TTL,
  BENCH_OIDC_SCOPE,
  BENCH_PASSWORD,
  BENCH_REDIRECT_URI,
  BENCH_SCOPE,
  BENCH_USERNAME,
  RESOURCE_JWT,
  RESOURCE_OPAQUE,
} from '../lib/fixtures.ts';
import { request } from 'node:http';
import { opaqueTokenKey } from '../../src/core/crypto.ts';
import { childPids, freePort, runNode, spawnNode, waitFor200, type Child, type TargetProcess } from '../lib/process.ts';
import type { BenchTarget, ClientFixture, RunningTarget, StartOptions } from '../lib/types.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = join(ROOT, 'bin/gatehouse.js');

export interface GatehouseBenchOptions {
  /** Run `tsc -p tsconfig.build.json` first so dist/ matches src/ (default true). */
  readonly build: boolean;
  /** Called with progress lines. */
  readonly log: (line: string) => void;
  /** The store (default SQLite); a server database gets a fresh database for the run, dropped after. */
  readonly database?: BenchDatabase;
  /**
   * Issue #10, several processes (PostgreSQL only): `single` one process, `workers` one
   * `serve --workers 2` (node:cluster), `instances` two instances behind a round-robin L4 proxy
   * (bench/lib/rr-proxy.ts). All three use Redis under a random key prefix, as the
   * multi-instance model does, so the one-process cell is their like-for-like baseline.
   */
  readonly scale?: BenchScale;
  /** Access token lifetime (default ACCESS_TOKEN_TTL), e.g. short for the purge check. */
  readonly accessTokenTtl?: number;
  /** Configuration merged over the bench's (objects key by key), e.g. `maintenance` for the purge check. */
  readonly extraConfig?: Readonly<Record<string, unknown>>;
}

/** `over` merged into `base`: plain objects key by key, anything else replaced. */
function merge(base: Record<string, unknown>, over: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = isObj(b) && isObj(v) ? merge(b, v) : v;
  }
  return out;
}

export type BenchScale = 'single' | 'workers' | 'instances';

/** Target ids of the multi-process comparison (one baseline, two scaled). */
export const SCALE_TARGETS: Readonly<Record<BenchScale, { id: string; label: string }>> = {
  single: { id: 'gatehouse-pg-redis', label: 'PostgreSQL + Redis, 1 process' },
  workers: { id: 'gatehouse-pg-workers', label: 'PostgreSQL + Redis, --workers 2' },
  instances: { id: 'gatehouse-pg-2x', label: 'PostgreSQL + Redis, 2 instances + L4 proxy' },
};
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const TSX = import.meta.resolve('tsx');
const PROXY = new URL('../lib/rr-proxy.ts', import.meta.url).pathname;

export type BenchDatabase = 'sqlite' | 'postgres' | 'mariadb';

/** Target id and label suffix per store (issue #10: the production databases). */
const DATABASES: Readonly<Record<BenchDatabase, { id: string; label: string }>> = {
  sqlite: { id: 'gatehouse', label: 'SQLite' },
  postgres: { id: 'gatehouse-pg', label: 'PostgreSQL' },
  mariadb: { id: 'gatehouse-mariadb', label: 'MariaDB' },
};
/** The shared servers of this machine; override with BENCH_POSTGRES_URL / BENCH_MARIADB_URL. */
const SERVER_URL = {
  postgres: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
  mariadb: process.env.BENCH_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306',
};

/** Creates an empty database on the server; returns its URL and how to drop it. */
async function serverDatabase(db: 'postgres' | 'mariadb', name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = SERVER_URL[db];
  if (db === 'postgres') {
    const { default: pg } = await import('pg');
    const admin = async (sql: string) => {
      const c = new pg.Client({ connectionString: `${base}/postgres` });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    };
    await admin(`create database "${name}"`);
    return { url: `${base}/${name}`, drop: () => admin(`drop database if exists "${name}" with (force)`) };
  }
  const mysql = await import('mysql2/promise');
  const admin = async (sql: string) => {
    const c = await mysql.createConnection(base);
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`create database \`${name}\` character set utf8mb4`);
  return { url: `${base.replace(/^mysql:/, 'mariadb:')}/${name}`, drop: () => admin(`drop database if exists \`${name}\``) };
}

export interface GatehouseTarget extends BenchTarget {
  /** Facts about the prepared instance, for the results file. */
  readonly info: () => Readonly<Record<string, unknown>>;
}

/** Reads client_id/client_secret from `clients create --json`, whichever naming it uses. */
export function parseCreatedClient(stdout: string): { clientId: string; clientSecret: string } {
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`clients create printed no JSON: ${stdout.slice(0, 300)}`);
  const j = JSON.parse(stdout.slice(start)) as Record<string, unknown>;
  const obj = (typeof j.client === 'object' && j.client !== null ? j.client : j) as Record<string, unknown>;
  const clientId = obj.client_id ?? obj.clientId ?? j.client_id ?? j.clientId;
  const clientSecret = obj.client_secret ?? obj.clientSecret ?? j.client_secret ?? j.clientSecret;
  if (typeof clientId !== 'string' || typeof clientSecret !== 'string') {
    throw new Error(`clients create --json gave no client_id/client_secret: ${stdout.slice(0, 300)}`);
  }
  return { clientId, clientSecret };
}

export function createGatehouseTarget(opts: GatehouseBenchOptions): GatehouseTarget {
  const database = opts.database ?? 'sqlite';
  const scale = opts.scale;
  if (scale && database !== 'postgres') throw new Error('the multi-process targets run on PostgreSQL');
  const { id, label } = scale ? SCALE_TARGETS[scale] : DATABASES[database];
  const redisPrefix = scale ? `gh-bench-${randomBytes(5).toString('hex')}:` : '';
  let databaseUrl = '';
  let dropDatabase: (() => Promise<void>) | null = null;
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  let dir = '';
  let configFile = '';
  let clients: { jwt: ClientFixture; opaque: ClientFixture; exchange: ClientFixture } | null = null;
  let web: ClientFixture | null = null;
  let webError: string | null = null;
  let clientError: string | null = null;
  let prepared = false;
  let buildClean: boolean | null = null;
  // A strong key-encryption key for this run only (production refuses weak or missing ones).
  const kek = randomBytes(32).toString('base64');

  const env = (port: number): NodeJS.ProcessEnv => ({
    ...process.env,
    NODE_ENV: 'production',
    GATEHOUSE_ENV: 'production',
    GATEHOUSE_KEK: kek,
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_ISSUER: `http://127.0.0.1:${port}`,
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_DATABASE_URL: databaseUrl,
    GATEHOUSE_LOG_LEVEL: 'warn',
  });

  return {
    id,
    label: `Gatehouse ${version} (${label})`,
    version,
    info: () => ({
      buildClean,
      configFile,
      database,
      ...(database === 'sqlite' ? {} : { databaseUrl }),
      ...(scale ? { scale, redis: REDIS_URL, redisKeyPrefix: redisPrefix } : {}),
      env: 'production',
      logLevel: 'warn',
    }),

    async prepare() {
      if (prepared) return;
      if (opts.build) {
        opts.log('gatehouse: npm run build (tsc -p tsconfig.build.json)');
        try {
          await runNode([join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], process.env, ROOT);
          buildClean = true;
        } catch (e) {
          // tsc still emits on type errors (others' work in progress); measure what was emitted.
          buildClean = false;
          opts.log(`gatehouse: build reported errors, using the emitted dist/:\n${(e as Error).message.split('\n').slice(0, 8).join('\n')}`);
        }
      }
      if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/cli/main.js is missing: run `npm run build`');
      dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
      if (database === 'sqlite') databaseUrl = `sqlite:${join(dir, 'bench.db')}`;
      else {
        const created = await serverDatabase(database, `gh_bench_${randomBytes(4).toString('hex')}`);
        databaseUrl = created.url;
        dropDatabase = created.drop;
      }
      configFile = join(dir, 'gatehouse.json');
      const resource = (identifier: string, accessTokenFormat: 'jwt' | 'opaque') => ({
        identifier,
        scopes: [BENCH_SCOPE, 'openid', 'offline_access'],
        accessTokenFormat,
        accessTokenTtl: opts.accessTokenTtl ?? ACCESS_TOKEN_TTL,
      });
      await writeFile(
        configFile,
        JSON.stringify(
          merge(
            {
              tokens: { accessTokenTtl: opts.accessTokenTtl ?? ACCESS_TOKEN_TTL, accessTokenSigningAlg: 'ES256', idTokenSigningAlg: 'RS256' },
              ...(scale ? { redis: { url: REDIS_URL, keyPrefix: redisPrefix } } : {}),
              resources: [resource(RESOURCE_JWT, 'jwt'), resource(RESOURCE_OPAQUE, 'opaque')],
              requireResourceRegistration: true,
              // Every simulated browser signs in from 127.0.0.1: the single-address burst the sign-in
              // limiter exists to stop (docs/security.md), so the bench lifts the per-address limits.
              login: { maxAttempts: 1_000_000, userAddressMaxAttempts: 1_000_000, maxInFlightPerAddress: 1000, userDelayStart: 0, userDelayMax: 0 },
              // Every load generator connection comes from 127.0.0.1 with one client: the endpoint
              // budgets stay on (their cost is part of what is measured) but are lifted above any rate reached.
              rateLimits: {
                ...Object.fromEntries(
                  ['token', 'par', 'deviceAuthorization', 'introspection', 'revocation'].map((e) => [
                    e,
                    { perAddress: 1_000_000_000, perClient: 1_000_000_000 },
                  ]),
                ),
                authorization: { perAddress: 1_000_000_000 },
                userinfo: { perAddress: 1_000_000_000 },
              },
            },
            opts.extraConfig ?? {},
          ),
          null,
          2,
        ),
      );
      // One client per token format, each also naming the resource whose registry entry demands
      // that format (node-oidc-provider picks the format from the resource alone).
      const create = async (format: 'jwt' | 'opaque', resource: string, grantTypes = 'client_credentials'): Promise<ClientFixture> => {
        const out = await runNode(
          [
            CLI,
            'clients',
            'create',
            '--config',
            configFile,
            '--name',
            `bench-${format}${grantTypes === 'client_credentials' ? '' : '-exchange'}`,
            '--grant-types',
            grantTypes,
            '--scopes',
            BENCH_SCOPE,
            '--token-endpoint-auth-method',
            'client_secret_basic',
            '--access-token-format',
            format,
            '--json',
          ],
          env(8080),
          ROOT,
        );
        return { ...parseCreatedClient(out), scope: BENCH_SCOPE, extraParams: { resource } };
      };
      try {
        clients = {
          jwt: await create('jwt', RESOURCE_JWT),
          opaque: await create('opaque', RESOURCE_OPAQUE),
          exchange: await create('jwt', RESOURCE_JWT, 'client_credentials,urn:ietf:params:oauth:grant-type:token-exchange'),
        };
        opts.log(`${id}: database ${databaseUrl}, clients ${clients.jwt.clientId} (jwt), ${clients.opaque.clientId} (opaque)`);
      } catch (e) {
        // Keep going: startup, memory and JWKS need no client; token scenarios report the failure.
        clientError = `gatehouse clients create failed: ${(e as Error).message.split('\n').slice(0, 2).join(' ').slice(0, 240)}`;
        opts.log(`! ${clientError}`);
      }
      // The end user and the first-party web client of the authorization-code and refresh flows.
      try {
        await runNode(
          [CLI, 'users', 'create', '--config', configFile, '--username', BENCH_USERNAME, '--password-stdin', '--json'],
          env(8080),
          ROOT,
          `${BENCH_PASSWORD}\n`,
        );
        const out = await runNode(
          [
            CLI,
            'clients',
            'create',
            '--config',
            configFile,
            '--name',
            'bench-web',
            '--grant-types',
            'authorization_code,refresh_token',
            '--response-types',
            'code',
            '--redirect-uris',
            BENCH_REDIRECT_URI,
            '--scopes',
            BENCH_OIDC_SCOPE.split(' ').join(','),
            '--token-endpoint-auth-method',
            'client_secret_basic',
            '--first-party',
            '--json',
          ],
          env(8080),
          ROOT,
        );
        web = { ...parseCreatedClient(out), scope: BENCH_OIDC_SCOPE, extraParams: { resource: RESOURCE_JWT } };
      } catch (e) {
        webError = `gatehouse users/clients create failed: ${(e as Error).message.split('\n').slice(0, 2).join(' ').slice(0, 240)}`;
        opts.log(`! ${webError}`);
      }
      prepared = true;
    },

    async start(startOpts: StartOptions): Promise<RunningTarget> {
      if (!prepared) throw new Error('gatehouse: prepare() first');
      if (scale === 'workers' || scale === 'instances') return startScaled(scale, startOpts);
      const port = await freePort();
      const child = spawnNode([...(startOpts.nodeFlags ?? []), CLI, 'serve', '--config', configFile], env(port), startOpts.verbose, ROOT);
      const origin = `http://127.0.0.1:${port}`;
      try {
        const startupMs = await waitFor200(`${origin}/ready`, child.spawnedAt, 30_000, child);
        return {
          pid: child.pid,
          origin,
          startupMs,
          stop: () => child.stop(15_000),
          ...(scale ? { storedTokens } : {}),
          capabilities: capabilities(),
        };
      } catch (e) {
        await child.stop();
        throw e;
      }
    },

    async cleanup() {
      if (dir) await rm(dir, { recursive: true, force: true });
      await dropDatabase?.().catch((e: unknown) => opts.log(`! ${id}: could not drop ${databaseUrl}: ${(e as Error).message}`));
      dropDatabase = null;
      if (scale)
        await deleteRedisPrefix(redisPrefix).catch((e: unknown) => opts.log(`! ${id}: could not delete Redis keys ${redisPrefix}*: ${(e as Error).message}`));
    },
  };

  /** How many of `tokens` (opaque access tokens) the database holds: looked up by their stored key. */
  async function storedTokens(tokens: readonly string[]): Promise<number> {
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      let found = 0;
      for (let i = 0; i < tokens.length; i += 5000) {
        const keys = tokens.slice(i, i + 5000).map(opaqueTokenKey);
        const r = await c.query<{ n: string }>('select count(*) as n from tokens where hash = any($1::text[])', [keys]);
        found += Number(r.rows[0]!.n);
      }
      return found;
    } finally {
      await c.end();
    }
  }

  /**
   * `serve --workers 2` on one port, or two `serve` instances behind the round-robin proxy (one
   * issuer: the proxy's origin). Ready when every worker / instance answers /ready.
   */
  async function startScaled(kind: 'workers' | 'instances', startOpts: StartOptions): Promise<RunningTarget> {
    const children: { role: string; child: Child; gatehouse: boolean }[] = [];
    const stop = async () => {
      for (const c of [...children].reverse()) await c.child.stop(15_000);
    };
    const flags = startOpts.nodeFlags ?? [];
    try {
      if (kind === 'workers') {
        const port = await freePort();
        const child = spawnNode([...flags, CLI, 'serve', '--workers', '2', '--config', configFile], env(port), startOpts.verbose, ROOT);
        children.push({ role: 'primary', child, gatehouse: true });
        const origin = `http://127.0.0.1:${port}`;
        const startupMs = await readyWorkers(port, 2, child.spawnedAt, child);
        return {
          pid: child.pid,
          origin,
          startupMs,
          stop,
          storedTokens,
          async processes(): Promise<TargetProcess[]> {
            const workers = (await childPids(child.pid)).sort((a, b) => a - b);
            return [{ role: 'primary', pid: child.pid, gatehouse: true }, ...workers.map((pid, i) => ({ role: `worker ${i + 1}`, pid, gatehouse: true }))];
          },
          capabilities: capabilities(),
        };
      }
      const proxyPort = await freePort();
      const origin = `http://127.0.0.1:${proxyPort}`;
      const ports = [await freePort(), await freePort()];
      const began = performance.now();
      for (const [i, port] of ports.entries()) {
        // One issuer for both, the proxy's origin, as behind a load balancer.
        const child = spawnNode([...flags, CLI, 'serve', '--config', configFile], { ...env(port), GATEHOUSE_ISSUER: origin }, startOpts.verbose, ROOT);
        children.push({ role: `instance ${i + 1}`, child, gatehouse: true });
      }
      for (const [i, port] of ports.entries()) await waitFor200(`http://127.0.0.1:${port}/ready`, began, 30_000, children[i]!.child);
      const proxy = spawnNode(['--import', TSX, PROXY, JSON.stringify({ upstreams: ports, port: proxyPort })], process.env, startOpts.verbose, ROOT);
      children.push({ role: 'proxy', child: proxy, gatehouse: false });
      await proxy.readyLine(15_000);
      const startupMs = await waitFor200(`${origin}/ready`, began, 15_000, proxy);
      return {
        pid: children[0]!.child.pid,
        origin,
        startupMs,
        stop,
        storedTokens,
        processes: async () => children.map((c) => ({ role: c.role, pid: c.child.pid, gatehouse: c.gatehouse })),
        capabilities: capabilities(),
      };
    } catch (e) {
      await stop();
      throw e;
    }
  }

  function capabilities(): RunningTarget['capabilities'] {
    return {
      tokenPath: '/token',
      introspectionPath: '/introspect',
      jwksPath: '/jwks.json',
      authorizationPath: '/authorize',
      user: { username: BENCH_USERNAME, password: BENCH_PASSWORD },
      ...(web ? { webClient: web } : {}),
      ...(clients ? { jwtClient: clients.jwt, opaqueClient: clients.opaque, tokenExchangeClient: clients.exchange, dpop: true } : {}),
      failures: {
        ...(clients
          ? {}
          : {
              'cc-jwt': clientError!,
              'cc-opaque': clientError!,
              'cc-dpop': clientError!,
              'introspect-opaque': clientError!,
              'token-exchange': clientError!,
            }),
        ...(web ? {} : { 'auth-code': webError!, refresh: webError!, 'signin-under-load': webError! }),
      },
    };
  }
}

/**
 * Polls /ready on new connections (the cluster hands each new connection to the next worker)
 * until `n` distinct `gatehouse-worker` ids answered 200; resolves with ms since `since`.
 */
async function readyWorkers(port: number, n: number, since: number, child: Child): Promise<number> {
  const seen = new Set<string>();
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    if (child.proc.exitCode !== null) throw new Error(`serve --workers exited (${child.proc.exitCode}); stderr:\n${child.stderr()}`);
    const worker = await new Promise<string | null>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/ready', agent: false, timeout: 1000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200 ? String(res.headers['gatehouse-worker'] ?? '') : null));
      });
      req.on('error', () => resolve(null));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (worker) seen.add(worker);
    if (seen.size >= n) return performance.now() - since;
    await new Promise((r) => setTimeout(r, worker ? 1 : 20));
  }
  throw new Error(`not every worker answered /ready within 60 s (seen ${[...seen].join(', ')}); stderr:\n${child.stderr()}`);
}

/** Deletes the Redis keys of one bench run (SCAN + DEL). */
async function deleteRedisPrefix(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
