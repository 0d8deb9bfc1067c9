import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { decodeKek } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { createAuthorizationService } from './core/authorize/authorization-service.ts';
import type { AuthorizationService } from './core/authorize/types.ts';
import { createClientAuthenticator } from './core/client-auth/client-authenticator.ts';
import { ClientJwksCache } from './core/client-auth/client-jwks.ts';
import type { ClientAuthenticator } from './core/client-auth/types.ts';
import { createClientService, type ClientService } from './core/clients/client-service.ts';
import { createMetadataDocuments, withMetadataDocuments } from './core/clients/metadata-documents.ts';
import { createDeviceAuthorization, type DeviceAuthorization } from './core/device-authorization/device-authorization.ts';
import { createDeviceVerification, type DeviceVerification } from './core/device-authorization/device-verification.ts';
import { createEndSession, type EndSession } from './core/end-session/end-session-service.ts';
import { GatehouseError } from './core/errors.ts';
import { EventBus } from './core/events.ts';
import { createIdTokenHintVerifier } from './core/id-token/id-token-hint.ts';
import { createClaimCatalog } from './core/claims/claim-catalog.ts';
import { createIdTokenIssuer } from './core/id-token/id-token-issuer.ts';
import type { IdTokenHintVerifier, IdTokenIssuer } from './core/id-token/types.ts';
import { createIntrospector, type Introspector } from './core/introspection/introspect.ts';
import { createRequestObjects, type RequestObjects } from './core/jar/request-object.ts';
import { KeyManager } from './core/keys/key-manager.ts';
import { publishAuditHead, purgeAuditRetention } from './core/audit/audit-maintenance.ts';
import { purgeExpired, schedulePurge } from './core/maintenance/purge-expired.ts';
import { DEFAULT_TENANT, type TenantId } from './core/model/tenant.ts';
import { createPushedRequests, type PushedRequests } from './core/par/pushed-requests.ts';
import { systemClock, systemSleep, type Clock } from './core/ports/clock.ts';
import type { Ports, Storage } from './core/ports/index.ts';
import type { RateLimiter } from './core/ports/rate-limiter.ts';
import type { ReplayCache } from './core/ports/replay-cache.ts';
import { createEndpointLimits, type EndpointLimits } from './core/rate-limits/endpoint-limits.ts';
import { createRegistration, type Registration } from './core/registration/registration-service.ts';
import { createRevoker, type Revoker } from './core/revocation/revoke.ts';
import { createAccountViews, type AccountViews } from './core/session/account-views.ts';
import { createSessionService, type SessionService } from './core/session/session-service.ts';
import { createGrantRegistry } from './core/token/grant-registry.ts';
import { createTrustedIssuerRegistry } from './core/trusted-issuers/trusted-issuer.ts';
import { createTokenEndpoint, type TokenEndpoint } from './core/token/token-endpoint.ts';
import { createAccessTokenIssuer, type AccessTokenIssuer } from './core/tokens/issue-access-token.ts';
import { createRandomIds } from './core/tokens/random-ids.ts';
import { createUserSubjects, type UserSubjects } from './core/tokens/user-subject.ts';
import { createUserInfo, type UserInfo } from './core/userinfo/userinfo.ts';
import { createAccessTokenVerifier, type AccessTokenVerifier } from './core/tokens/access-token-verifier.ts';
import { deriveKey } from './core/keys/kek.ts';
import { createDpopNonces } from './core/dpop/dpop-nonce.ts';
import { createDpopVerifier, type DpopVerifier } from './core/dpop/dpop-proof.ts';
import { createDeviceCookies } from './core/users/device-cookie.ts';
import { createPasswordSignIn, type PasswordSignIn } from './core/users/password-sign-in.ts';
import { createUserService, type UserService } from './core/users/user-service.ts';
import { createApplication, type Application, type EventSinksInfo } from './app/index.ts';
import { redactConfig } from './config/redact.ts';
import { buildApp, type AppOptions } from './http/app.ts';
import { loadPageAssets } from './http/assets/page-assets.ts';
import { endpointUrl, type AppContext } from './http/context.ts';
import { provisionConsoleClient } from './http/console/console-client.ts';
import { createConsoleSessions } from './http/console/console-session.ts';
import { createCsrf } from './http/csrf.ts';
import { createInteractionSealer } from './http/interaction.ts';
import { createPageKit } from './http/pages/layout.ts';
import { createBackchannelDelivery, type BackchannelDelivery, type BackchannelDeliveryOptions } from './logout/backchannel-delivery.ts';
import { resolveSinks } from './config/event-sinks.ts';
import { createSink } from './events/sinks/registry.ts';
import { createEventStreaming, type EventStreaming } from './events/streaming.ts';
import { eventMetrics } from './metrics/event-metrics.ts';
import { createMetrics, type GatehouseMetrics } from './metrics/prometheus.ts';
import { createGuardedFetch, guardedFetchOptions, type GuardedFetcher } from './outbound/guarded-fetch.ts';
import { GATEHOUSE_VERSION } from './metrics/build-info.ts';
import { createStoreTiming, decorateStorage, type StoreTiming } from './metrics/store-timing.ts';
import { withTimeout } from './metrics/with-timeout.ts';
import type { Tracing } from './core/ports/tracing.ts';
import { loadTracing } from './tracing/load-tracing.ts';
import { MemoryRateLimiter } from './ratelimit/memory-rate-limiter.ts';
import { ClusterRateLimiter, rateLimitHandlers } from './ratelimit/cluster-rate-limiter.ts';
import type { Channel, Handlers } from './cluster/ipc.ts';
import { RedisRateLimiter } from './ratelimit/redis-rate-limiter.ts';
import { openRedis, redisTarget } from './redis/redis-connection.ts';
import { RedisReplayCache } from './redis/redis-replay-cache.ts';
import { createResilience, type DependencyPolicy, type Resilience } from './resilience/index.ts';
import { createArgon2PasswordHasher } from './security/argon2-password-hasher.ts';
import { createStorage } from './storage/create-storage.ts';

/**
 * THE composition root (DESIGN §1): config → storage → keys → every core service → adapters
 * chosen from config. `createGatehouse` (the server), every CLI command and the test support
 * build through here; nothing else constructs a core service or names a concrete adapter.
 */
export interface ComposeOptions {
  readonly clock?: Clock;
  /** Use this store instead of opening `config.database.url` (tests). */
  readonly storage?: Storage;
  /** Connection pool size when the store is opened here (default `database.poolSize`). */
  readonly poolSize?: number;
  /** Log line sink for operator messages (KEK warning, key refresh before a logger exists); default stderr. */
  readonly notice?: (msg: string) => void;
  /**
   * `init` (the server): create missing signing keys, then load them. `load` (the CLI): only read
   * what is stored, so an operator command never generates keys as a side effect.
   */
  readonly keys?: 'init' | 'load';
  /** Back-channel logout delivery overrides (tests: a short back-off). */
  readonly backchannel?: Pick<BackchannelDeliveryOptions, 'baseDelayMs' | 'delay'>;
  /**
   * The process-local rate limiter: without redis.url it counts every limit, with redis.url it is
   * the fallback while Redis is unreachable. Default: a `MemoryRateLimiter` of this process; a
   * `serve --workers N` worker passes the `ClusterRateLimiter` (the primary counts for all workers).
   */
  readonly localRateLimiter?: RateLimiter;
  /** Observability of the store and outbound calls (the server sets it; CLI commands do not). */
  readonly observe?: ObserveOptions;
  /**
   * Tests only, never from config or env: a PEM certificate authority the guarded outbound fetcher
   * trusts beside the system's, so a test can serve https (client metadata documents) on loopback.
   */
  readonly outboundTestCa?: string;
}

/** What `createGatehouse` asks compose to observe (#9 part 5). */
export interface ObserveOptions {
  /** Load tracing when the OTEL_* variables name an OTLP endpoint (docs/operations.md "Tracing"). */
  readonly tracing?: boolean;
  /** Where OTEL_* variables are read (default `process.env`; tests pass their own). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Time every store port call into this (the metrics registry registers it). */
  readonly storeTiming?: StoreTiming | null;
}

/** Every service of one process, built once. */
export interface Services {
  readonly config: Config;
  readonly tenantId: TenantId;
  readonly clock: Clock;
  readonly kek: Buffer;
  /** Earlier KEKs (kekPrevious): they only open values sealed before a KEK rotation. */
  readonly kekPrevious: readonly Buffer[];
  readonly storage: Storage;
  readonly ports: Ports;
  /** One event bus per process, shared by HTTP and CLI (metrics, later sinks and audit subscribe). */
  readonly events: EventBus;
  /** Timeouts, circuit breakers and bulkheads per dependency (`resilience.*`); `redis` is for the Redis adapters. */
  readonly resilience: Resilience;
  readonly keys: KeyManager;
  readonly clientAuth: ClientAuthenticator;
  /** Per-address and per-client request budgets of the protocol endpoints. */
  readonly limits: EndpointLimits;
  /** Which backend counts limits now: `redis`, `memory` while Redis is unreachable, or `memory` without redis.url. */
  rateLimitBackend(): 'redis' | 'memory';
  readonly idTokens: IdTokenIssuer;
  readonly idTokenHints: IdTokenHintVerifier;
  readonly accessTokens: AccessTokenIssuer;
  readonly subjects: UserSubjects;
  /** End users of the tenant (creation, sign-in, operator changes): the one instance of the process. */
  readonly userService: UserService;
  /** Clients of the tenant (creation and changes, for operators, DCR and bootstrap): the one instance. */
  readonly clientService: ClientService;
  readonly tokenEndpoint: TokenEndpoint;
  readonly introspector: Introspector;
  readonly revoker: Revoker;
  readonly userinfo: UserInfo;
  /** Bearer and DPoP-bound access tokens at Gatehouse's own protected resources (the admin API). */
  readonly accessTokenVerifier: AccessTokenVerifier;
  /** DPoP proofs (RFC 9449) at the token endpoint, PAR, UserInfo and the resource-server kit. */
  readonly dpop: DpopVerifier;
  readonly deviceAuthorization: DeviceAuthorization;
  readonly deviceVerification: DeviceVerification;
  readonly requestObjects: RequestObjects;
  readonly pushedRequests: PushedRequests;
  readonly authorization: AuthorizationService;
  readonly sessions: SessionService;
  readonly accountViews: AccountViews;
  readonly signIn: PasswordSignIn;
  readonly endSession: EndSession;
  readonly registration: Registration;
  readonly logoutNotifier: BackchannelDelivery;
  /** The operator use cases (S18): the one entry point of the CLI, admin API, console and MCP. */
  readonly application: Application;
  /** OpenTelemetry tracing, or null when off (no OTLP endpoint set, or a CLI command). */
  readonly tracing: Tracing | null;
  /** Sets a log sink for background work (key refresh) once a logger exists. */
  /** Event streaming (docs/events.md): null when `events.urls` (GATEHOUSE_EVENTS) is empty. */
  readonly eventStreaming: EventStreaming | null;
  /** The guarded outbound fetcher (S19), shared by client key fetches, logout and webhooks. */
  readonly outbound: GuardedFetcher;
  /** Sets a log sink for background work (key refresh, event delivery) once a logger exists. */
  setLog(log: (level: 'info' | 'warn' | 'error', message: string) => void): void;
  /** Stops background work, waits for queued logout deliveries and closes the store. */
  close(): Promise<void>;
}

/**
 * The configured sinks and their breakers: a webhook delivers through the guarded fetcher, so its
 * breaker is the outbound one of its origin; broker sinks (Redis, RabbitMQ, NATS) and the log
 * have none of their own (their outages show as pending deliveries and lag).
 */
function sinkInfo(names: readonly string[], outbound: Resilience['outbound']): EventSinksInfo {
  return {
    names,
    breaker(sink) {
      let url: URL;
      try {
        url = new URL(sink);
      } catch {
        return null;
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
      return outbound.openHosts().find((h) => h.origin === url.origin)?.state ?? 'closed';
    },
  };
}

export async function compose(config: Config, opts: ComposeOptions = {}): Promise<Services> {
  const notice = opts.notice ?? ((m: string) => process.stderr.write(`${m}\n`));
  const clock = opts.clock ?? systemClock;
  const tenantId = DEFAULT_TENANT;
  const kek = await resolveKek(config, notice);
  const kekPrevious = config.kekPrevious.map((k) => decodeKek(k)!);
  const opened =
    opts.storage ??
    (await createStorage(config.database.url, {
      poolSize: opts.poolSize ?? config.database.poolSize,
      clientCacheTtlMs: config.database.clientCacheTtlMs,
      clock,
    }));
  let shared: SharedState | undefined;
  let tracing: Tracing | null = null;
  let exportFetch: GuardedFetcher | null = null;
  try {
    const events = new EventBus();
    let log: (level: 'info' | 'warn' | 'error', message: string) => void = (_l, m) => notice(`[gatehouse] ${m}`);
    // ---- resilience (#9 part 2): named policies from `resilience.*`. Every store call the dialect
    // needs goes through the `store` policy (timeout, breaker, bulkhead; src/resilience/store-guard.ts),
    // every outbound request through its destination's breaker and bulkhead (the guarded fetcher).
    const resilience = createResilience(config, { events, log: (l, m) => log(l, m) });
    // ---- observability (#9 part 5) ----------------------------------------------------------
    // Tracing loads (and imports the OpenTelemetry SDK) only when an OTLP endpoint is set. The
    // store decorators are installed only when asked: metrics time every port call; tracing adds
    // a span per call under a request span. Off means no wrapper at all.
    // Spans leave through their own, untraced, guarded fetcher (trusted path: time and byte
    // limits, the collector's breaker), so an export makes no span of its own.
    exportFetch = opts.observe?.tracing ? createGuardedFetch(guardedFetchOptions(config, resilience.outbound)) : null;
    tracing = exportFetch
      ? await loadTracing(opts.observe?.env ?? process.env, GATEHOUSE_VERSION, (m) => notice(`[gatehouse] tracing: ${m}`), exportFetch)
      : null;
    if (!tracing && exportFetch) {
      await exportFetch.close();
      exportFetch = null;
    }
    let observed = opened;
    if (opts.observe?.storeTiming) observed = decorateStorage(observed, opts.observe.storeTiming.wrap);
    if (tracing) observed = decorateStorage(observed, tracing.wrapStoreCall);
    // ---- end observability ------------------------------------------------------------------
    if (config.database.autoMigrate) await opened.migrate();
    const storage = resilience.guardStorage(observed);
    // ---- end resilience ----
    shared = await openShared(config, { clock, events, storage, policy: resilience.redis, tracing, local: opts.localRateLimiter, log: (l, m) => log(l, m) });
    // S19: every URL a client supplies (jwks_uri, backchannel_logout_uri, client_id metadata
    // documents) is fetched through one guard.
    const outbound = createGuardedFetch({
      ...guardedFetchOptions(config, resilience.outbound),
      tracing,
      ...(opts.outboundTestCa ? { testCa: opts.outboundTestCa } : {}),
    });
    // Client ID Metadata Documents: when enabled, a client_id that is an https URL is resolved by
    // fetching it, wherever a client is looked up (authorize, PAR, token, introspection, logout).
    const clients = config.clientIdMetadataDocuments.enabled
      ? withMetadataDocuments(
          storage.clients,
          createMetadataDocuments(
            {
              http: outbound,
              clock,
              onRefused: (id, e) => log('warn', `client_id metadata document ${id.slice(0, 255)} refused: ${e.message.slice(0, 300)}`),
            },
            config,
          ),
        )
      : storage.clients;
    const ports: Ports = {
      clients,
      tokens: storage.tokens,
      denylist: storage.denylist,
      replay: shared.replay,
      keyStore: storage.keyStore,
      users: storage.users,
      sessions: storage.sessions,
      consents: storage.consents,
      codes: storage.codes,
      deviceCodes: storage.deviceCodes,
      par: storage.par,
      // rate-limiter-flexible: on Redis (shared by every instance) when redis.url is set, else in memory.
      rateLimiter: shared.rateLimiter,
      clock,
      random: { bytes: (n) => randomBytes(n) },
      events,
      passwordHasher: createArgon2PasswordHasher({ maxQueue: config.login.hashQueueLength }),
    };
    // ---- event streaming (#9, docs/events.md): the bus feeds the outbox in every process (CLI
    // included); the server's relay delivers (createGatehouse). Nothing subscribes without sinks.
    const sinkSpecs = resolveSinks(config).specs;
    const eventStreaming =
      sinkSpecs.length > 0 ? createEventStreaming({ events, outbox: storage.outbox, clock, log: (l, m) => log(l, m) }, sinkSpecs, config) : null;
    const keys = new KeyManager({ keyStore: storage.keyStore, clock, events, kek, kekPrevious, tenantId, log: (l, m) => log(l, m) }, config);
    if (opts.keys === 'load') await keys.load();
    else await keys.init();
    // One cache of clients' keys (jwks_uri fetches) for private_key_jwt and request objects.
    const clientJwks = new ClientJwksCache(config.clientAuth.jwksCacheTtl, outbound);
    const clientAuth = createClientAuthenticator({ ...ports, kek, kekPrevious, tenantId, jwks: clientJwks }, config);
    // Roles, groups and custom attributes: which scope releases what (config, built once).
    const claimCatalog = createClaimCatalog(config);
    const idTokens = createIdTokenIssuer({ keys, clock, tenantId, claimCatalog }, config);
    const idTokenHints = createIdTokenHintVerifier(keys, config);
    const accessTokens = createAccessTokenIssuer({ ...ports, keys, tenantId }, config);
    const subjects = createUserSubjects(kek, idTokens.subjectFor, kekPrevious);
    // Back-Channel Logout: in-process background delivery (lost on shutdown; see docs/logout.md).
    const logoutNotifier = createBackchannelDelivery(
      { events, clock, http: outbound },
      {
        timeoutMs: config.logout.backchannelTimeout * 1000,
        retries: config.logout.backchannelRetries,
        ...opts.backchannel,
      },
    );
    // JAR (RFC 9101) and PAR (RFC 9126): one instance each, shared by /authorize and /par.
    const requestObjects = createRequestObjects({ clock, jwks: clientJwks }, config);
    const pushedRequests = createPushedRequests({ ...ports, tenantId }, config);
    // Trusted external issuers (RFC 7523 grant, ID-JAG, token exchange): their own key cache, same rules.
    const trustedIssuers = createTrustedIssuerRegistry(config.trustedIssuers, new ClientJwksCache(config.clientAuth.jwksCacheTtl, outbound), tenantId);
    const grants = createGrantRegistry({ ...ports, accessTokens, idTokens, subjects, claimCatalog, keys, tenantId, trustedIssuers, config });
    // RFC 9449: proofs' jti go to the shared replay cache (Redis in front of the store, never a
    // per-instance memory); nonces are an HMAC under a KEK-derived key, so every instance agrees.
    const dpop = createDpopVerifier(
      { replay: ports.replay, clock, tenantId, nonces: createDpopNonces(deriveKey(kek, 'gatehouse dpop nonce v1'), config.dpop.nonceWindow, clock) },
      config,
    );
    const userService = createUserService({ ...ports, tenantId, attributes: config.users.attributes });
    const clientService = createClientService({ ...ports, kek, kekPrevious, tenantId });
    const services: Services = {
      config,
      tenantId,
      clock,
      kek,
      kekPrevious,
      storage,
      ports,
      events,
      resilience,
      keys,
      clientAuth,
      limits: createEndpointLimits({ rateLimiter: ports.rateLimiter, events, tenantId }, config),
      rateLimitBackend: shared.backend,
      idTokens,
      idTokenHints,
      accessTokens,
      subjects,
      userService,
      clientService,
      tokenEndpoint: createTokenEndpoint(grants),
      introspector: createIntrospector({ ...ports, keys, subjects, tenantId, claimCatalog }, config),
      revoker: createRevoker({ ...ports, keys, tenantId }, config),
      userinfo: createUserInfo(
        { ...ports, keys, subjects, tenantId, claimCatalog },
        { issuer: config.issuer, userinfoEndpoint: endpointUrl(config, '/userinfo') },
      ),
      accessTokenVerifier: createAccessTokenVerifier({ ...ports, keys, subjects, tenantId }, config),
      dpop,
      deviceAuthorization: createDeviceAuthorization({ ...ports, accessTokens, tenantId }, config),
      deviceVerification: createDeviceVerification({ ...ports, tenantId }, config),
      requestObjects,
      pushedRequests,
      authorization: createAuthorizationService(
        { ...ports, tenantId, idTokens, idTokenHints, requestObjects, pushedRequests, accessTokens, subjects, claimCatalog },
        config,
      ),
      sessions: createSessionService({ ...ports, tenantId }, config),
      accountViews: createAccountViews({ users: storage.users, tenantId }),
      signIn: createPasswordSignIn(
        {
          rateLimiter: ports.rateLimiter,
          userService,
          users: storage.users,
          tenantId,
          sleep: systemSleep,
          deviceCookies: createDeviceCookies(deriveKey(kek, 'gatehouse device cookie v1'), ports, config.login.deviceCookieTtl),
        },
        config,
      ),
      endSession: createEndSession(
        {
          ...ports,
          keys,
          idTokenHints,
          notifier: logoutNotifier,
          newId: createRandomIds(ports.random),
          subjectFor: idTokens.subjectFor.bind(idTokens),
          tenantId,
        },
        config,
      ),
      registration: createRegistration({ ...ports, tenantId, clientService }, config),
      logoutNotifier,
      tracing,
      application: createApplication({
        ...ports,
        grants: storage.grants,
        userSessions: storage.userSessions,
        outbox: storage.outbox,
        keys,
        userService,
        clientService,
        tenantId,
        logoutNotifier,
        config,
        ...(eventStreaming
          ? {
              eventsWritten: () => eventStreaming.writer.flush(),
              transactionalOutbox: eventStreaming.writer,
              eventSinks: sinkInfo(eventStreaming.sinks, resilience.outbound),
            }
          : {}),
        // Mutations commit their change, outbox events and audit record together (S18).
        unitOfWork: storage.unitOfWork,
        // Each service reads only its own store from `p` (the unit builds stores on first use).
        servicesOver: (p) => ({
          userService: createUserService({
            ...ports,
            users: p.users,
            events: p.events,
            ...(p.passwordHasher ? { passwordHasher: p.passwordHasher } : {}),
            tenantId,
            attributes: config.users.attributes,
          }),
          get clientService() {
            return createClientService({ ...ports, clients: p.clients, events: p.events, kek, kekPrevious, tenantId });
          },
        }),
        settings: () => redactConfig(config),
        audit: storage.audit,
        // Fail closed, loudly: the operation reports GH_AUDIT_FAILED; the record is kept here.
        onAuditFailure: (entry, e) => log('error', `audit record NOT written (${e instanceof Error ? e.message : String(e)}): ${JSON.stringify(entry)}`),
      }),
      eventStreaming,
      outbound,
      setLog(fn) {
        log = fn;
      },
      async close() {
        keys.stop();
        await eventStreaming?.close();
        await logoutNotifier.close();
        await outbound.close();
        await shared?.close();
        await storage.close();
        // Last spans go out, but an unreachable collector never holds up the shutdown.
        if (tracing) await withTimeout(tracing.shutdown(), 3000, 'trace export').catch(() => {});
        await exportFetch?.close();
      },
    };
    return services;
  } catch (e) {
    await shared?.close().catch(() => {});
    if (!opts.storage) await opened.close().catch(() => {});
    await tracing?.shutdown().catch(() => {});
    await exportFetch?.close().catch(() => {});
    throw e;
  }
}

/** Rate limits and the replay cache: shared through Redis when `redis.url` is set, else per process / the store. */
interface SharedState {
  readonly rateLimiter: RateLimiter;
  readonly replay: ReplayCache;
  backend(): 'redis' | 'memory';
  close(): Promise<void>;
}

async function openShared(
  config: Config,
  deps: {
    readonly clock: Clock;
    readonly events: EventBus;
    readonly storage: Storage;
    /** `resilience.redis`: every command of the Redis adapters runs through it (deadline, breaker, bulkhead). */
    readonly policy: DependencyPolicy;
    readonly tracing: Tracing | null;
    readonly local: RateLimiter | undefined;
    readonly log: (l: 'info' | 'warn' | 'error', m: string) => void;
  },
): Promise<SharedState> {
  const memory = deps.local ?? new MemoryRateLimiter({ clock: deps.clock });
  const { url, connectTimeoutMs, commandTimeoutMs, keyPrefix } = config.redis;
  if (!url) return { rateLimiter: memory, replay: deps.storage.replay, backend: () => 'memory', close: async () => {} };
  // ioredis is loaded here only: without redis.url nothing of it is imported.
  const redis = await openRedis({ url, connectTimeoutMs, commandTimeoutMs, log: deps.log });
  // One CLIENT span per command under a request span (the limiter's and the replay cache's).
  deps.tracing?.instrumentRedis(redis.client);
  if (!(await redis.waitReady(connectTimeoutMs)))
    deps.log('warn', `redis: ${redisTarget(url)} not reachable at start; rate limits count per instance until it is`);
  const rateLimiter = new RedisRateLimiter({
    redis,
    policy: deps.policy,
    fallback: memory,
    keyPrefix,
    clock: deps.clock,
    onBackendChange: (backend, reason) => {
      if (backend === 'memory') deps.log('warn', `rate limits: Redis unreachable (${reason ?? 'unknown'}); counting per instance in memory until it is back`);
      else deps.log('info', 'rate limits: Redis reachable again; counting in Redis');
      deps.events.publish('rate_limit.backend_changed', { backend: 'redis', state: backend === 'memory' ? 'degraded' : 'restored', reason });
    },
  });
  let replayErrorLogged = false;
  const replay = new RedisReplayCache({
    redis,
    policy: deps.policy,
    store: deps.storage.replay,
    keyPrefix,
    onError: (e) => {
      if (replayErrorLogged) return;
      replayErrorLogged = true;
      deps.log('warn', `replay cache: Redis call failed (${e instanceof Error ? e.message : String(e)}); the store decides alone meanwhile`);
    },
  });
  return { rateLimiter, replay, backend: () => rateLimiter.backend, close: () => redis.close() };
}

export interface GatehouseOptions extends ComposeOptions, AppOptions {}

export interface Gatehouse {
  readonly app: FastifyInstance;
  readonly ctx: AppContext;
  readonly services: Services;
  /** Listens on config.host:config.port; resolves to the base URL actually bound. */
  listen(): Promise<string>;
  /** Stops accepting, drains in-flight requests, stops timers, closes the store. */
  close(): Promise<void>;
}

/** The HTTP server: the composed services plus the web pieces (pages, CSRF, sealed interactions, metrics). */
export async function createGatehouse(config: Config, opts: GatehouseOptions = {}): Promise<Gatehouse> {
  // Observability (#9 part 5): the store-timing histogram exists before the store is decorated.
  const storeTiming = config.metrics.enabled ? createStoreTiming() : null;
  const services = await compose(config, { ...opts, observe: { tracing: true, storeTiming, ...opts.observe } });
  try {
    const { clock, kek, storage } = services;
    const metrics: GatehouseMetrics | null = config.metrics.enabled
      ? createMetrics(
          { events: services.events, tokens: storage.tokens, clock, keys: services.keys, rateLimitBackend: services.rateLimitBackend },
          { storeTiming, clientIdLabels: config.metrics.clientIdLabels },
        )
      : null;
    const ctx: AppContext = {
      ...services,
      pages: createPageKit(config, await loadPageAssets(config)),
      csrf: createCsrf(config, kek),
      interactions: createInteractionSealer(kek, clock, config),
      console: config.console.enabled ? createConsoleSessions(config, kek, clock) : null,
      metrics,
      lifecycle: { draining: false },
    };
    // The admin console signs in through its own built-in client (docs/console.md).
    const consoleProblem = config.console.enabled
      ? await provisionConsoleClient({ config, tenantId: services.tenantId, clients: storage.clients, clientService: services.clientService })
      : null;
    const app = await buildApp(ctx, opts);
    if (consoleProblem) app.log.warn(consoleProblem);
    services.setLog((level, message) => app.log[level](message));
    services.keys.start();
    // ---- event streaming: the relay runs in the server (sinks built from config, metrics observe it).
    const streaming = services.eventStreaming;
    if (streaming) {
      const observer = metrics
        ? eventMetrics(metrics.registry, { outbox: storage.outbox, sinks: streaming.sinks, clock, writer: streaming.writer })
        : undefined;
      await streaming.startRelay((spec) => createSink(spec, { logger: app.log, http: services.outbound }), observer);
    }
    const purge = schedulePurge(async () => {
      const r = await purgeExpired(storage, clock, config.maintenance.expiredRetention);
      if (r.failed.length) app.log.warn({ failed: r.failed }, 'purge of expired records failed for some stores');
      else app.log.debug({ removed: r.removed }, 'purged expired records');
      if (streaming) {
        const n = await streaming.purge().catch((e: unknown) => {
          app.log.warn(`purge of settled outbox events failed: ${(e as Error).message}`);
          return 0;
        });
        app.log.debug({ removed: n }, 'purged settled outbox events');
      }
      const audited = await purgeAuditRetention({ audit: storage.audit, clock, tenantId: services.tenantId }, config.audit.retentionDays).catch(
        (e: unknown) => {
          app.log.warn({ err: e }, 'audit retention purge failed');
          return 0;
        },
      );
      if (audited) app.log.info({ purged: audited, retentionDays: config.audit.retentionDays }, 'purged audit records past retention (checkpoint written)');
    }, config.maintenance.purgeInterval);
    purge.start();
    // docs/audit.md: the published head makes truncation of the newest records detectable.
    const offHead = services.events.on('audit.head_published', (e) => app.log.info({ audit_head: `${e.seq}:${e.hash}` }, 'audit chain head'));
    const headTask = () =>
      publishAuditHead({ audit: storage.audit, events: services.events, tenantId: services.tenantId }).catch((e: unknown) =>
        app.log.warn({ err: e }, 'could not read the audit chain head'),
      );
    const heads = schedulePurge(headTask, config.audit.headInterval);
    heads.start();
    if (config.audit.headInterval > 0) void headTask();
    let closed = false;
    return {
      app,
      ctx,
      services,
      listen: () => app.listen({ host: config.host, port: config.port }),
      async close() {
        if (closed) return;
        closed = true;
        ctx.lifecycle.draining = true;
        purge.stop();
        heads.stop();
        offHead();
        await app.close();
        await services.close();
      },
    };
  } catch (e) {
    await services.close().catch(() => {});
    throw e;
  }
}

/** Opens the configured store without migrating or composing anything (`gatehouse migrate`). */
export function openStorage(config: Config, opts: { readonly poolSize?: number } = {}): Promise<Storage> {
  return createStorage(config.database.url, { poolSize: opts.poolSize ?? 1, clientCacheTtlMs: config.database.clientCacheTtlMs });
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
  } catch {
    /* generate below */
  }
  const key = randomBytes(32);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, key.toString('base64') + '\n', { mode: 0o600 });
  notice(`[gatehouse] WARNING: no GATEHOUSE_KEK set; generated a development key-encryption key in ${file}. Set GATEHOUSE_KEK in production.`);
  return key;
}

/**
 * `serve --workers N`, primary: the machine's one limiter (rate-limiter-flexible in memory) and how
 * it answers a worker's IPC calls. Workers count through it when redis.url is unset.
 */
export function clusterPrimaryLimits(): Handlers {
  return rateLimitHandlers(new MemoryRateLimiter());
}

/** `serve --workers N`, worker: counts through the primary; its own memory while the primary does not answer. */
export function clusterWorkerLimiter(channel: Channel, onFallback: (reason: string) => void): RateLimiter & { close(): void } {
  return new ClusterRateLimiter({ channel, fallback: new MemoryRateLimiter(), onFallback });
}
