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
import { freePort, runNode, spawnNode, waitFor200 } from '../lib/process.ts';
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
}

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
  const { id, label } = DATABASES[database];
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
    info: () => ({ buildClean, configFile, database, ...(database === 'sqlite' ? {} : { databaseUrl }), env: 'production', logLevel: 'warn' }),

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
        accessTokenTtl: ACCESS_TOKEN_TTL,
      });
      await writeFile(
        configFile,
        JSON.stringify(
          {
            tokens: { accessTokenTtl: ACCESS_TOKEN_TTL, accessTokenSigningAlg: 'ES256', idTokenSigningAlg: 'RS256' },
            resources: [resource(RESOURCE_JWT, 'jwt'), resource(RESOURCE_OPAQUE, 'opaque')],
            requireResourceRegistration: true,
            // Every simulated browser signs in from 127.0.0.1: the single-address burst the sign-in
            // limiter exists to stop (docs/security.md), so the bench lifts the per-address limits.
            login: { maxAttempts: 1_000_000, userAddressMaxAttempts: 1_000_000, maxInFlightPerAddress: 1000, userDelayStart: 0, userDelayMax: 0 },
            // Every load generator connection comes from 127.0.0.1 with one client: the endpoint
            // budgets stay on (their cost is part of what is measured) but are lifted above any rate reached.
            rateLimits: {
              ...Object.fromEntries(
                ['token', 'par', 'deviceAuthorization', 'introspection', 'revocation'].map((e) => [e, { perAddress: 1_000_000_000, perClient: 1_000_000_000 }]),
              ),
              authorization: { perAddress: 1_000_000_000 },
              userinfo: { perAddress: 1_000_000_000 },
            },
          },
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
          capabilities: {
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
          },
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
    },
  };
}
