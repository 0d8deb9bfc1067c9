import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.ts';
import { decodeKek } from './config/load.ts';
import { createAuthorizationService } from './core/authorize/authorization-service.ts';
import { createClientAuthenticator } from './core/client-auth/client-authenticator.ts';
import { ClientJwksCache } from './core/client-auth/client-jwks.ts';
import { GatehouseError } from './core/errors.ts';
import { EventBus } from './core/events.ts';
import { createIdTokenHintVerifier } from './core/id-token/id-token-hint.ts';
import { createIdTokenIssuer } from './core/id-token/id-token-issuer.ts';
import { createRequestObjects } from './core/jar/request-object.ts';
import { KeyManager } from './core/keys/key-manager.ts';
import { purgeExpired, schedulePurge } from './core/maintenance/purge-expired.ts';
import { DEFAULT_TENANT } from './core/model/tenant.ts';
import { createPushedRequests } from './core/par/pushed-requests.ts';
import { systemClock, type Clock } from './core/ports/clock.ts';
import { createSessionService } from './core/session/session-service.ts';
import { createAccessTokenIssuer } from './core/tokens/issue-access-token.ts';
import { createUserSubjects } from './core/tokens/user-subject.ts';
import { authenticate } from './core/users/user-service.ts';
import type { Ports, Storage } from './core/ports/index.ts';
import { buildApp, type AppOptions } from './http/app.ts';
import { loadPageAssets } from './http/assets/page-assets.ts';
import type { AppContext } from './http/context.ts';
import { createCsrf } from './http/csrf.ts';
import { createPageKit } from './http/pages/layout.ts';
import { createBackchannelDelivery, type BackchannelDeliveryOptions } from './logout/backchannel-delivery.ts';
import { MemoryRateLimiter } from './ratelimit/memory-rate-limiter.ts';
import { createArgon2PasswordHasher } from './security/argon2-password-hasher.ts';
import { createStorage } from './storage/create-storage.ts';

export interface GatehouseOptions extends AppOptions {
  readonly clock?: Clock;
  /** Use this store instead of opening `config.database.url` (tests). */
  readonly storage?: Storage;
  /** Log line sink for operator messages (KEK warning, demo client); default stderr. */
  readonly notice?: (msg: string) => void;
  /** Back-channel logout delivery overrides (tests: a short back-off, a fake fetch). */
  readonly backchannel?: Pick<BackchannelDeliveryOptions, 'baseDelayMs' | 'fetch' | 'delay'>;
}

export interface Gatehouse {
  readonly app: FastifyInstance;
  readonly ctx: AppContext;
  /** Listens on config.host:config.port; resolves to the base URL actually bound. */
  listen(): Promise<string>;
  /** Stops accepting, drains in-flight requests, stops timers, closes the store. */
  close(): Promise<void>;
}

/**
 * The one composition root: reads nothing but the given config, picks adapters, builds the app.
 * A missing capability is a compile error here, not a runtime undefined.
 */
export async function createGatehouse(config: Config, opts: GatehouseOptions = {}): Promise<Gatehouse> {
  const notice = opts.notice ?? ((m: string) => process.stderr.write(`${m}\n`));
  const clock = opts.clock ?? systemClock;
  const kek = await resolveKek(config, notice);
  const storage = opts.storage ?? await createStorage(config.database.url, { poolSize: config.database.poolSize, clock });
  try {
    if (config.database.autoMigrate) await storage.migrate();
    const events = new EventBus();
    const ports: Ports = {
      clients: storage.clients,
      tokens: storage.tokens,
      denylist: storage.denylist,
      replay: storage.replay,
      keyStore: storage.keys,
      users: storage.users,
      sessions: storage.sessions,
      consents: storage.consents,
      codes: storage.codes,
      deviceCodes: storage.deviceCodes,
      par: storage.par,
      // In-process counters: with several instances each counts its own attempts.
      rateLimiter: new MemoryRateLimiter({ clock }),
      clock,
      random: { bytes: (n) => randomBytes(n) },
      events,
      passwordHasher: createArgon2PasswordHasher(),
    };
    // Background key refresh reports through the app logger once it exists (stderr before).
    let keyLog: (level: 'warn' | 'error', message: string) => void = (_l, m) => notice(`[gatehouse] ${m}`);
    const keys = new KeyManager({ keyStore: storage.keys, clock, events, kek, tenantId: DEFAULT_TENANT, log: (l, m) => keyLog(l, m) }, config);
    await keys.init();
    // One cache of clients' keys (jwks_uri fetches) for private_key_jwt and request objects.
    const clientJwks = new ClientJwksCache(config.clientAuth.jwksCacheTtl);
    const clientAuth = createClientAuthenticator({ ...ports, kek, tenantId: DEFAULT_TENANT, jwks: clientJwks }, config);
    const idTokens = createIdTokenIssuer({ keys, clock, users: storage.users, tenantId: DEFAULT_TENANT }, config);
    const idTokenHints = createIdTokenHintVerifier(keys, config);
    // Back-Channel Logout: in-process background delivery (lost on shutdown; see docs/logout.md).
    const logoutNotifier = createBackchannelDelivery({ events, clock }, {
      timeoutMs: config.logout.backchannelTimeout * 1000,
      retries: config.logout.backchannelRetries,
      ...opts.backchannel,
    });
    const sessions = createSessionService({ ...ports, tenantId: DEFAULT_TENANT }, config);
    const pages = createPageKit(config, await loadPageAssets(config));
    const csrf = createCsrf(config, kek);
    // JAR (RFC 9101) and PAR (RFC 9126): one instance each, shared by /authorize and /par.
    const requestObjects = createRequestObjects({ clock, jwks: clientJwks }, config);
    const pushedRequests = createPushedRequests({ ...ports, tenantId: DEFAULT_TENANT }, config);
    const accessTokens = createAccessTokenIssuer({ ...ports, keys, tenantId: DEFAULT_TENANT }, config);
    const subjects = createUserSubjects(kek, idTokens.subjectFor);
    const authorization = createAuthorizationService({
      ...ports, tenantId: DEFAULT_TENANT, idTokens, idTokenHints, requestObjects, pushedRequests, accessTokens, subjects,
    }, config);
    const authenticateUser = (username: string, password: string) => authenticate(ports, DEFAULT_TENANT, username, password);
    const ctx: AppContext = {
      config, ports, storage, keys, clientAuth, idTokens, accessTokens, subjects, idTokenHints, logoutNotifier, events, sessions, pages, csrf,
      requestObjects, pushedRequests, authorization, authenticateUser, tenantId: DEFAULT_TENANT, kek, lifecycle: { draining: false },
    };
    const app = await buildApp(ctx, opts);
    keyLog = (level, message) => app.log[level](message);
    keys.start();
    const purge = schedulePurge(async () => {
      const r = await purgeExpired(storage, clock, config.maintenance.expiredRetention);
      if (r.failed.length) app.log.warn({ failed: r.failed }, 'purge of expired records failed for some stores');
      else app.log.debug({ removed: r.removed }, 'purged expired records');
    }, config.maintenance.purgeInterval);
    purge.start();
    let closed = false;
    return {
      app,
      ctx,
      async listen() {
        const address = await app.listen({ host: config.host, port: config.port });
        return address;
      },
      async close() {
        if (closed) return;
        closed = true;
        ctx.lifecycle.draining = true;
        keys.stop();
        purge.stop();
        await app.close();
        await logoutNotifier.close();
        await storage.close();
      },
    };
  } catch (e) {
    if (!opts.storage) await storage.close().catch(() => {});
    throw e;
  }
}

/**
 * The KEK comes from config. Development mode without one generates a key into
 * `<dataDir>/kek` (with a warning) so keys survive restarts; production refuses (config check).
 */
export async function resolveKek(config: Config, notice: (m: string) => void): Promise<Buffer> {
  if (config.kek) return decodeKek(config.kek)!;
  if (config.env === 'production') throw new GatehouseError('GH_CONFIG_INVALID', 'kek: required in production');
  const file = join(config.dataDir, 'kek');
  try {
    const b = decodeKek((await readFile(file, 'utf8')).trim());
    if (b) return b;
  } catch { /* generate below */ }
  const key = randomBytes(32);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, key.toString('base64') + '\n', { mode: 0o600 });
  notice(`[gatehouse] WARNING: no GATEHOUSE_KEK set; generated a development key-encryption key in ${file}. Set GATEHOUSE_KEK in production.`);
  return key;
}
