/**
 * Who performed an operator action (CLI, admin API, console, MCP). The application layer
 * (src/app) stamps it on every event published while a use case runs; events without it come
 * from the protocol itself (a sign-in, dynamic registration, scheduled rotation).
 */
export interface ActorRef {
  readonly kind: 'cli' | 'admin_user' | 'admin_client';
  readonly id: string;
}

/**
 * The typed event catalogue (S15). Metrics, audit and event streaming subscribe here; handlers
 * never import a metrics client. Names are `<aggregate>.<past-tense>` (S9).
 */
export interface EventMap {
  /** A token was issued at the token endpoint, the authorization endpoint or by a device grant (one event per token). */
  'token.issued': {
    tenantId: string;
    clientId: string;
    grantType: string;
    tokenType: 'access_token' | 'refresh_token' | 'id_token';
    format: 'jwt' | 'opaque';
    jti: string;
    subject: string;
  };
  /**
   * RFC 8693 token exchange: `clientId` exchanged a token of `subjectClientId` (`subjectJti`) for
   * the access token `jti`; `delegation` when an actor token was presented (`actorClientId`).
   * With `issuedTokenType`, an ID-JAG (`jti`) or a transaction token (`jti` = its `txn`) instead.
   */
  'token.exchanged': {
    tenantId: string;
    clientId: string;
    subjectClientId: string;
    subjectJti: string;
    actorClientId: string | null;
    delegation: boolean;
    audience: string[];
    scope: string;
    jti: string;
    /** RFC 8693 §3 type of what was issued when it is not an access token (ID-JAG, transaction token). */
    issuedTokenType?: string;
  };
  /** One stored token was revoked (RFC 7009, with its grant, on reuse, or by an operator). */
  'token.revoked': {
    tenantId: string;
    clientId: string;
    tokenType: 'access_token' | 'refresh_token';
    jti: string;
    reason: 'revocation_endpoint' | 'grant_revoked' | 'reuse_detected' | 'admin';
  };
  /**
   * Every token of one authorization revoked at once: reuse of a code or of a rotated refresh
   * token, or an operator (`admin`: `grantId` and `actor` set; `clientId` is null, since the grant
   * is named by its id alone).
   */
  'grant.revoked': {
    tenantId: string;
    clientId: string | null;
    reason: 'code_reuse' | 'refresh_token_reuse' | 'admin';
    tokens: number;
    grantId?: string;
    actor?: ActorRef;
  };
  /** An operator revoked every grant of a user: `grants` had stored tokens newly revoked; each is also denylisted for its JWT access tokens. */
  'tokens.revoked_for_user': { tenantId: string; userId: string; grants: number; actor: ActorRef };
  /** An operator revoked every grant of a client, user grants and client_credentials alike (counted as for a user). */
  'tokens.revoked_for_client': { tenantId: string; clientId: string; grants: number; actor: ActorRef };
  /** A refresh token was exchanged for its successor; `jti` is the consumed one's. */
  'refresh_token.rotated': { tenantId: string; clientId: string; jti: string };
  /** A resource server introspected a token (RFC 7662); `active` is the answer. */
  'token.introspected': { tenantId: string; clientId: string; active: boolean };
  /** A client failed to authenticate at the token, introspection, revocation or PAR endpoint. */
  'client_auth.failed': { tenantId: string; clientId: string | null; method: string | null; reason: string };
  /** A client was created (`via`: the CLI, dynamic registration, the admin API or first-start bootstrap). */
  'client.created': { tenantId: string; clientId: string; via: 'cli' | 'registration' | 'admin' | 'bootstrap'; actor?: ActorRef };
  /** A client changed; `change` says what (`secret_rotated`: a new secret was issued, the old one stopped working). */
  'client.updated': {
    tenantId: string;
    clientId: string;
    via: 'cli' | 'registration' | 'admin';
    change: 'metadata' | 'secret_rotated' | 'disabled' | 'enabled' | 'imported';
    actor?: ActorRef;
  };
  /** A client was deleted; an operator's delete also revoked its grants and deleted its consents (counted). */
  'client.deleted': {
    tenantId: string;
    clientId: string;
    via: 'cli' | 'registration' | 'admin';
    actor?: ActorRef;
    grantsRevoked?: number;
    consentsDeleted?: number;
  };
  /** A signing key was generated (at first start, rotation or by an operator). */
  'key.created': { tenantId: string; kid: string; alg: string; status: string };
  /** One algorithm's keys rotated; `actor` is set when an operator asked (absent for scheduled rotation). */
  'key.rotated': { tenantId: string; alg: string; activeKid: string; retiredKid: string | null; nextKid: string; actor?: ActorRef };
  /** RFC 8628: a device authorization was requested (a device code and user code issued). */
  'device_code.issued': { tenantId: string; clientId: string };
  /** RFC 8628 §3.3: the user approved or denied a device on the /device page. */
  'device_code.decided': { tenantId: string; clientId: string; status: 'approved' | 'denied' };
  /** RFC 9126: a client pushed an authorization request and received a request_uri. */
  'authorization_request.pushed': { tenantId: string; clientId: string };
  /** An authorization response was issued (code and/or tokens sent to the client's redirect URI). */
  'authorization.granted': { tenantId: string; clientId: string; userId: string; responseType: string; scope: string };
  /** An authorization request failed: sent back to the client (`redirected`) or shown as an error page. `detail` is private. */
  'authorization.denied': { tenantId: string; clientId: string | null; error: string; redirected: boolean; detail: string | undefined };
  /** Consent given on the consent page was remembered (merged into earlier consent). */
  'consent.granted': { tenantId: string; clientId: string; userId: string; scopes: string[]; claims: string[] };
  /** An operator revoked a user's remembered consent for a client: the consent page shows again. */
  'consent.revoked': { tenantId: string; userId: string; clientId: string; actor: ActorRef };
  /** An end user was created. User events never carry a password or a password hash. */
  'user.created': { tenantId: string; userId: string; via: 'cli' | 'admin' | 'bootstrap'; actor?: ActorRef };
  /** A user changed; `change` says what (`password_rehashed`: upgraded to current argon2id parameters at sign-in). */
  'user.updated': {
    tenantId: string;
    userId: string;
    via: 'cli' | 'admin' | 'login';
    change: 'password' | 'password_rehashed' | 'disabled' | 'enabled' | 'claims' | 'roles' | 'claims_and_roles' | 'imported';
    actor?: ActorRef;
  };
  /** An operator deleted a user: first its sessions were ended (RPs notified), its grants revoked and its consents deleted. */
  'user.deleted': { tenantId: string; userId: string; sessionsEnded: number; grantsRevoked: number; consentsDeleted: number; actor: ActorRef };
  /** An operator cleared a user's sign-in counters (`users.unlock`): `counters` is how many were held. */
  'user.unlocked': { tenantId: string; userId: string; counters: number; actor: ActorRef };
  /** A password sign-in succeeded. */
  'user.authenticated': { tenantId: string; userId: string };
  /** A password sign-in failed. `reason` is for operators only: the person signing in is told nothing that reveals whether the user exists. */
  'user.authentication_failed': { tenantId: string; userId: string | null; reason: 'unknown_user' | 'wrong_password' | 'disabled' | 'no_password' };
  /** A request ended in an error response; `detail` is private (logs only, never the wire or a sink). */
  'request.failed': { route: string; code: string; detail: string | undefined };
  /**
   * An operator ended signed-in accounts (by `sid`) of a user; `backchannel` Logout Tokens were queued to RPs.
   * `sessionEpoch` (sessions.end_all only, emitted even when no sid was signed in): the user's new
   * session generation, so every console session of the user ended too.
   */
  'session.ended': { tenantId: string; userId: string; sids: string[]; backchannel: number; sessionEpoch?: number; actor: ActorRef };
  /** A browser session ended at the end-session endpoint (RP-Initiated Logout); `clientId` is the RP that asked, if identified. */
  'logout.completed': { tenantId: string; clientId: string | null; accounts: number; backchannel: number; frontchannel: number };
  /** A Logout Token was accepted (200/204) by a client's backchannel_logout_uri. */
  'backchannel_logout.delivered': { tenantId: string; clientId: string; jti: string; attempts: number; status: number };
  /** A Logout Token could not be delivered; `reason` is `timeout`, `network`, `http_<status>`, `expired`, `sign_failed` or `shutdown`. */
  'backchannel_logout.failed': { tenantId: string; clientId: string; jti: string | null; attempts: number; reason: string };

  // ---- operations (#9): limits, resilience, audit, event delivery ----
  /** A request was refused with 429 by the named limit policy (`policy`: e.g. `token.ip`, `token.client`, `client_auth.penalty`, `signin.address`). Aggregated per window before it reaches an event sink. */
  'rate_limit.hit': { tenantId: string; policy: string; route: string; clientId: string | null };
  /** The shared (Redis) limiter became unreachable and limits fell back to per-instance memory (`degraded`), or it came back (`restored`). */
  'rate_limit.backend_changed': { backend: 'redis'; state: 'degraded' | 'restored'; reason: string | null };
  /** A circuit breaker around a dependency (`store`, `redis`, `outbound`, `webhook`, a sink name) opened: calls fail fast until a probe succeeds. */
  'breaker.opened': { dependency: string; reason: string };
  /** A circuit breaker's cool-down ended: the next call is its one probe, whose outcome closes or re-opens it. */
  'breaker.half_opened': { dependency: string };
  /** A circuit breaker closed again after a successful probe. */
  'breaker.closed': { dependency: string };
  /** A request was refused with 503 because the process is overloaded (`reason`: `event_loop_delay`, `in_flight`, `heap`, `rss`). */
  'request.shed': { route: string; reason: string };
  /** The audit chain head, published periodically so that removing the newest records is detectable. */
  'audit.head_published': { tenantId: string; seq: number; hash: string };
  /** Audit records older than `before` (epoch ms) were deleted; `checkpointSeq` is the checkpoint record that keeps the rest verifiable (null: nothing was old enough). */
  'audit.purged': { tenantId: string; before: number; purged: number; checkpointSeq: number | null; actor: ActorRef };
  /** `gatehouse kek rotate` re-sealed stored signing keys (`resealed` of `keys`) and `clientSecrets` sealed client secrets under the KEK `kekId` (`failed`: values no configured KEK opens). */
  'kek.rotated': { tenantId: string; kekId: string; keys: number; resealed: number; clientSecrets: number; failed: number; actor: ActorRef };
  /** An operator exported clients and users (`data.export`: stored hashes, never a plaintext secret). */
  'data.exported': { tenantId: string; clients: number; users: number; actor: ActorRef };
  /** An operator imported an export document (`data.import`); each record also has its own client.* / user.* event (`change: imported` when replaced). */
  'data.imported': {
    tenantId: string;
    mode: 'create' | 'upsert';
    clientsCreated: number;
    clientsUpdated: number;
    usersCreated: number;
    usersUpdated: number;
    actor: ActorRef;
  };
  /** An event could not be delivered to a sink after its last retry and was moved to the dead-letter state. */
  'event.dead_lettered': { sink: string; eventId: string; type: string; attempts: number; reason: string };
}

export type EventName = keyof EventMap;

export interface EventPublisher {
  publish<K extends EventName>(name: K, payload: EventMap[K]): void;
}

export type EventListener<K extends EventName> = (payload: EventMap[K]) => void;

/** In-process bus. Listener errors are swallowed: an event never breaks a request. */
export class EventBus implements EventPublisher {
  readonly #listeners = new Map<EventName, Set<(p: unknown) => void>>();

  on<K extends EventName>(name: K, fn: EventListener<K>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(fn as (p: unknown) => void);
    return () => set.delete(fn as (p: unknown) => void);
  }

  publish<K extends EventName>(name: K, payload: EventMap[K]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const fn of set) {
      try {
        fn(payload);
      } catch {
        /* listeners must not break the caller */
      }
    }
  }
}
