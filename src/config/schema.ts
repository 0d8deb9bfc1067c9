import { z } from 'zod';
import { isCidrOrAddress } from './cidr.ts';
import { resilienceSchema } from './resilience-schema.ts';
import { claimScopesSchema, userAttributesSchema } from './claims-config.ts';
import { trustedIssuersSchema } from './trusted-issuers-schema.ts';

/**
 * The one configuration schema (S8). Every field documents itself with `.describe()`;
 * `docs/config.md` is generated from this file (`npm run docs:config`).
 * Durations are in seconds unless the name says otherwise.
 */
const duration = (def: number, doc: string) => z.number().int().min(0).default(def).describe(doc);

const resourceSchema = z
  .object({
    identifier: z.string().url().describe('Absolute URI a client sends as `resource` (RFC 8707).'),
    audience: z.string().min(1).optional().describe('`aud` placed in tokens for this resource; defaults to the identifier.'),
    scopes: z.array(z.string()).default([]).describe('Scopes this resource accepts; empty accepts any scope the client may request.'),
    accessTokenFormat: z.enum(['jwt', 'opaque']).optional().describe('Access token format for this resource (overrides client and global default).'),
    accessTokenTtl: z.number().int().positive().optional().describe('Access token lifetime for this resource, in seconds.'),
  })
  .strict();

const perAddress = (def: number) =>
  z.number().int().min(0).default(def).describe('Requests per client address (an IPv6 /64 counts as one) per `window`; 0 turns this limit off.');
const perClient = (def: number) =>
  z
    .number()
    .int()
    .min(0)
    .default(def)
    .describe('Requests per authenticated client per `window` (counted after the client authenticated); 0 turns this limit off.');
const window = (def: number) => z.number().int().min(1).max(86_400).default(def).describe('Window of the limits above, in seconds (fixed windows).');
const clientPolicy = (addr: number, client: number, win = 60) =>
  z
    .object({ perAddress: perAddress(addr), perClient: perClient(client), window: window(win) })
    .strict()
    .prefault({});
const addressPolicy = (addr: number, win = 60) =>
  z
    .object({ perAddress: perAddress(addr), window: window(win) })
    .strict()
    .prefault({});

/** S20: every endpoint limit is named here, with its default; docs/operations.md "Rate limits" explains the numbers. */
const rateLimitsSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe('Endpoint rate limits and the client-authentication penalty bucket. Off: only sign-in and user-code throttling remain.'),
    token: clientPolicy(1200, 1200),
    authorization: addressPolicy(300),
    par: clientPolicy(600, 600),
    deviceAuthorization: clientPolicy(60, 60),
    introspection: clientPolicy(6000, 6000),
    revocation: clientPolicy(600, 600),
    registration: addressPolicy(30),
    userinfo: addressPolicy(1200),
    clientAuthFailures: z
      .object({
        limit: z
          .number()
          .int()
          .min(0)
          .default(10)
          .describe(
            'Failed client authentications for one client_id from one client address per `window`; past it that address gets 429 for that client (other addresses are unaffected). 0 turns the penalty off.',
          ),
        window: window(300),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

/** Per-sink overrides in `events.sinks`, keyed by the sink URL (with or without its credentials). */
const sinkOptionsSchema = z
  .object({
    types: z.array(z.string().min(1)).optional().describe('Event names this sink receives (`*`, `token.*`, `client.created`); default `events.types`.'),
    secret: z
      .string()
      .optional()
      .describe('Webhook sinks: the Standard Webhooks signing secret, `whsec_` + base64 of 24–64 random bytes. Required for webhooks.'),
    retries: z
      .number()
      .int()
      .min(0)
      .max(100)
      .optional()
      .describe('Retries after the first attempt before a delivery is dead-lettered; default `events.retries`.'),
    timeoutMs: z.number().int().min(100).max(120_000).optional().describe('Time limit of one send, in milliseconds; default `events.timeoutMs`.'),
    batchSize: z.number().int().min(1).max(1000).optional().describe('Most events per send; default `events.batchSize`.'),
  })
  .strict();

/** Event streaming (docs/events.md): sinks, their filters and the outbox around them. */
const eventsSchema = z
  .object({
    urls: z
      .array(z.string())
      .default([])
      .describe(
        'Event sink URLs: `log:`, `redis://…?stream=NAME`, `amqp://…?exchange=NAME`, `nats://…?subject=PREFIX`, `https://…` (webhook; `http://127.0.0.1…` in development only); `rediss:`, `amqps:`, `tls:` likewise. Empty: no event leaves the process and nothing is written to the outbox. Env: GATEHOUSE_EVENTS (comma-separated).',
      ),
    sinks: z
      .record(z.string(), sinkOptionsSchema)
      .default({})
      .describe(
        'Per-sink options keyed by a URL of `events.urls` (written with or without its credentials): `types`, `secret`, `retries`, `timeoutMs`, `batchSize`.',
      ),
    types: z
      .array(z.string().min(1))
      .default(['*'])
      .describe(
        'Event names a sink receives unless its own `types` says otherwise: `*` every event, `token.*` a prefix, or exact names. Only selected types are written to the outbox.',
      ),
    retries: z.number().int().min(0).max(100).default(10).describe('Retries after the first failed delivery before the event is dead-lettered for that sink.'),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(120_000)
      .default(10_000)
      .describe('Time limit of one send to a sink, in milliseconds (a timed-out batch is retried).'),
    batchSize: z.number().int().min(1).max(1000).default(100).describe('Most events the relay hands a sink in one send.'),
    retryBaseMs: z
      .number()
      .int()
      .min(10)
      .max(3_600_000)
      .default(1000)
      .describe('First retry delay, in milliseconds; doubles per attempt (half of it random jitter).'),
    retryMaxMs: z.number().int().min(10).max(86_400_000).default(600_000).describe('Longest retry delay, in milliseconds.'),
    pollIntervalMs: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(1000)
      .describe('How often an idle relay looks for due events written by other instances, in milliseconds (events of its own instance wake it at once).'),
    bufferSize: z
      .number()
      .int()
      .min(100)
      .max(1_000_000)
      .default(10_000)
      .describe('Most published events waiting in memory to be written to the outbox; past it (store unreachable) new events are dropped and counted.'),
    flushIntervalMs: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(200)
      .describe('Longest a published event waits in memory before its batch is written to the outbox, in milliseconds: the window a crash can lose.'),
    writeBatchSize: z.number().int().min(1).max(1000).default(100).describe('Most events written to the outbox in one transaction.'),
    rateLimitWindow: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe('`rate_limit.hit` is aggregated into one event per (tenant, policy) and window of this many seconds, with a count.'),
    retention: duration(604_800, 'How long delivered and dead-lettered outbox rows are kept before the maintenance purge deletes them.'),
  })
  .strict()
  .prefault({});

export const configSchema = z
  .object({
    env: z.enum(['development', 'production']).default('development').describe('`production` refuses insecure settings at boot. Env: GATEHOUSE_ENV.'),
    issuer: z
      .string()
      .url()
      .default('http://localhost:8080')
      .describe('Issuer identifier (RFC 8414 §2): https, no query or fragment. Unset: `http://localhost:<port>`. Env: GATEHOUSE_ISSUER.'),
    host: z.string().default('0.0.0.0').describe('Interface to listen on. Env: GATEHOUSE_HOST.'),
    port: z.number().int().min(0).max(65535).default(8080).describe('TCP port (0 = any free port). Env: GATEHOUSE_PORT.'),
    workers: z
      .union([z.literal('auto'), z.number().int().min(1).max(1024)])
      .default(1)
      .describe(
        '`gatehouse serve` processes on this machine (node:cluster): `1` is one process, no cluster; `auto` is one per core (`os.availableParallelism()`). Workers share the port, the rate limits (through the primary, or Redis when set) and one aggregated `/metrics`; see docs/scaling.md. Needs a shared store (not `memory:`). Env: GATEHOUSE_WORKERS.',
      ),
    dataDir: z.string().default('./data').describe('Directory for the embedded SQLite database and the development KEK. Env: GATEHOUSE_DATA_DIR.'),
    database: z
      .object({
        url: z
          .string()
          .default('sqlite:./data/gatehouse.db')
          .describe('`sqlite:PATH`, `sqlite::memory:`, `postgres://…`, `mysql://…` or `memory:`. Env: GATEHOUSE_DATABASE_URL.'),
        autoMigrate: z.boolean().default(true).describe('Apply pending migrations at start. Env: GATEHOUSE_DATABASE_AUTO_MIGRATE.'),
        poolSize: z.number().int().min(1).max(200).default(10).describe('Connection pool size (PostgreSQL/MariaDB).'),
        clientCacheTtlMs: z
          .number()
          .int()
          .min(0)
          .max(60_000)
          .default(1000)
          .describe(
            'PostgreSQL/MariaDB: how long a client read is reused in this process (ms) before it is read again; `0` reads it on every request. A change made on this instance applies at once; a client disabled, deleted or given a new secret on another instance stops working here within this time (docs/scaling.md). Env: GATEHOUSE_DATABASE_CLIENT_CACHE_TTL_MS.',
          ),
      })
      .strict()
      .prefault({}),
    kek: z
      .string()
      .optional()
      .describe(
        'Key-encryption key: 32 random bytes, base64 or base64url. Encrypts signing keys at rest (AES-256-GCM). Required in production. Env: GATEHOUSE_KEK.',
      ),
    kekPrevious: z
      .array(z.string())
      .max(8)
      .default([])
      .describe(
        'Earlier key-encryption keys, during a KEK rotation only: they open values sealed before the change, never seal new ones. Remove once `gatehouse kek rotate` reported every key re-sealed (docs/operations.md). Env: GATEHOUSE_KEK_PREVIOUS (comma-separated).',
      ),
    tokens: z
      .object({
        accessTokenTtl: z.number().int().min(1).max(86400).default(3600).describe('Access token lifetime (1 s to 24 h).'),
        accessTokenFormat: z.enum(['jwt', 'opaque']).default('jwt').describe('Global default access token format: RFC 9068 JWT or opaque (stored hashed).'),
        accessTokenSigningAlg: z
          .enum(['ES256', 'RS256', 'PS256', 'EdDSA'])
          .default('ES256')
          .describe('Algorithm for JWT access tokens (and RFC 9701 introspection responses).'),
        idTokenSigningAlg: z
          .enum(['RS256', 'ES256', 'PS256', 'EdDSA'])
          .default('RS256')
          .describe('Default algorithm for ID tokens (a client may pick another with `id_token_signed_response_alg`).'),
        idTokenTtl: z.number().int().min(60).max(86400).default(3600).describe('ID token lifetime.'),
        refreshTokenTtl: z.number().int().min(60).default(1_209_600).describe('Lifetime of each refresh token (sliding: every rotation issues a fresh one).'),
        refreshTokenAbsoluteTtl: z
          .number()
          .int()
          .min(60)
          .default(7_776_000)
          .describe('Longest a refresh token family may live from the original authorization, however often it rotates.'),
        subjectType: z
          .enum(['public', 'pairwise'])
          .default('public')
          .describe(
            'Default `sub` type (OIDC Core §8). `pairwise` gives each sector a different `sub` for the same user; a client may choose with `subject_type`.',
          ),
        pairwiseSalt: z
          .string()
          .min(16)
          .optional()
          .describe('Salt for pairwise subject identifiers. Required when any client uses pairwise. Env: GATEHOUSE_PAIRWISE_SALT.'),
      })
      .strict()
      .prefault({}),
    idJag: z
      .object({
        ttl: z
          .number()
          .int()
          .min(10)
          .max(3600)
          .default(300)
          .describe('Lifetime of an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant), in seconds; never beyond the subject ID token.'),
        audiences: z
          .array(
            z
              .object({
                issuer: z
                  .string()
                  .url()
                  .describe('Issuer identifier of the resource authorization server (RFC 8414): the `audience` a client sends and the `aud` of the ID-JAG.'),
                clients: z
                  .array(z.string().min(1))
                  .min(1)
                  .describe('Our client ids allowed to request ID-JAGs for this audience (token exchange grant type required too).'),
                clientIds: z
                  .record(z.string(), z.string().min(1))
                  .default({})
                  .describe("Our client id → that client's id at the resource AS (the ID-JAG `client_id`); a client not listed keeps its own id."),
                scopes: z
                  .array(z.string().min(1))
                  .default([])
                  .describe('Scopes at the resource AS a client may request; anything else is `invalid_scope`. Empty: no `scope` may be sent.'),
                resources: z.array(z.string().url()).default([]).describe('RFC 8707 resources a client may name; anything else is `invalid_target`.'),
                ssoClientId: z
                  .string()
                  .min(1)
                  .optional()
                  .describe(
                    'Our client id of the resource AS when it signs users in here (SSO): the ID-JAG `sub` is the `sub` that client sees (pairwise or public). Absent: the public `sub`.',
                  ),
                includeEmail: z
                  .boolean()
                  .default(false)
                  .describe("Put the user's verified `email` in the ID-JAG (the draft recommends it for account resolution)."),
              })
              .strict(),
          )
          .default([])
          .refine((list) => new Set(list.map((a) => a.issuer)).size === list.length, { message: 'each issuer may appear once' })
          .describe(
            'Resource authorization servers this server issues ID-JAGs for. Empty: ID-JAG issuance is off (requested_token_type id-jag is `invalid_request`).',
          ),
      })
      .strict()
      .prefault({}),
    transactionTokens: z
      .object({
        trustDomain: z
          .string()
          .min(1)
          .optional()
          .describe(
            'The trust domain (draft-ietf-oauth-transaction-tokens §9.2 `aud`): the only `audience` accepted for a txn_token request. Absent: transaction tokens are off.',
          ),
        ttl: z.number().int().min(5).max(600).default(60).describe('Transaction token lifetime, in seconds (the draft: minutes or less).'),
        workloads: z
          .array(z.string().min(1))
          .default([])
          .describe(
            'Client ids (workloads) allowed to request transaction tokens; any other client gets `invalid_request` (RFC 8693 §2.2.2: unacceptable based on policy). Each also needs the token exchange grant type.',
          ),
        maxContextBytes: z
          .number()
          .int()
          .min(128)
          .max(65_536)
          .default(4096)
          .describe('Largest `request_context` and `request_details` parameter each (bytes of JSON); larger is `invalid_request`.'),
      })
      .strict()
      .prefault({}),
    authorization: z
      .object({
        codeTtl: z.number().int().min(10).max(600).default(60).describe('Authorization code lifetime (RFC 6749 §4.1.2 recommends at most 10 minutes).'),
        pkceRequired: z
          .enum(['public', 'all'])
          .default('public')
          .describe('Who must send a PKCE `code_challenge` (RFC 7636): `public` clients only, or `all` clients (OAuth 2.1 / FAPI).'),
        allowPlainPkce: z.boolean().default(false).describe('Accept `code_challenge_method=plain`. Off: only S256.'),
        implicit: z.boolean().default(false).describe('Enable the `id_token` and `id_token token` response types (implicit flow). Off by default (OAuth 2.1).'),
        requirePar: z
          .boolean()
          .default(false)
          .describe(
            'Every client must push its request first (RFC 9126 `require_pushed_authorization_requests`). Per client: `require_pushed_authorization_requests`.',
          ),
        parTtl: z.number().int().min(10).max(600).default(60).describe('Lifetime of a pushed request_uri (RFC 9126 §2.2 `expires_in`).'),
        parMaxStoredBytes: z
          .number()
          .int()
          .min(2048)
          .max(1_048_576)
          .default(16_384)
          .describe(
            'Largest pushed authorization request kept until its request_uri is used (RFC 9126), in bytes of the stored JSON: only the parameters the authorization endpoint reads are kept, unknown ones are dropped. A larger push is refused with `invalid_request`. 16 KiB is about three times a large real request (a `claims` request, several `resource` values, an `id_token_hint`); see docs/par-jar.md.',
          ),
        allowUnsignedRequestObjects: z.boolean().default(false).describe('Accept JAR request objects with `alg: none` (RFC 9101). Off: only signed objects.'),
        requestObjectMaxAge: z
          .number()
          .int()
          .min(10)
          .max(3600)
          .default(300)
          .describe('Longest accepted `exp - iat` of a request object, and the tolerated age of `iat`.'),
        interactionTtl: z
          .number()
          .int()
          .min(60)
          .max(3600)
          .default(900)
          .describe('How long a sign-in/consent page stays valid before the request must start again.'),
      })
      .strict()
      .prefault({}),
    session: z
      .object({
        cookieName: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('gh_session')
          .describe('Name of the session cookie (HttpOnly, SameSite=Lax, Secure when the issuer is https).'),
        idleTtl: z.number().int().min(60).default(1800).describe('Session ends after this many seconds without activity.'),
        absoluteTtl: z.number().int().min(300).default(86400).describe('Session ends this many seconds after sign-in, however active.'),
        maxAccounts: z.number().int().min(1).max(10).default(5).describe('Accounts one browser session may hold (account chooser).'),
      })
      .strict()
      .prefault({}),
    console: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe('Serve the admin console at /admin (operators sign in through this server with the `admin` or `auditor` user role; docs/console.md).'),
        sessionTtl: z
          .number()
          .int()
          .min(300)
          .max(86400)
          .default(28800)
          .describe('The console session ends this many seconds after the operator signed in to it (the role is checked again on every request).'),
      })
      .strict()
      .prefault({}),
    login: z
      .object({
        maxAttempts: z
          .number()
          .int()
          .min(1)
          .default(10)
          .describe(
            'Sign-in attempts per client address (an IPv6 /64 counts as one address) within `attemptWindow`, for any usernames. Each attempt is counted before the password is checked; a successful one is given back, so only failures add up. Over it: 429 with Retry-After.',
          ),
        attemptWindow: z.number().int().min(10).default(900).describe('Window for `maxAttempts`, in seconds.'),
        userAddressMaxAttempts: z
          .number()
          .int()
          .min(1)
          .default(10)
          .describe(
            'Sign-in attempts for one username from one client address (or from one recognised device) within `userAddressWindow`; a success clears it. Over it: 429 for that pair only.',
          ),
        userAddressWindow: z.number().int().min(10).default(900).describe('Window for `userAddressMaxAttempts`, in seconds.'),
        maxInFlightPerAddress: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(4)
          .describe('Sign-ins from one client address being checked at once; more are answered 429 at once.'),
        hashQueueLength: z
          .number()
          .int()
          .min(0)
          .max(100_000)
          .default(64)
          .describe(
            'Password hashes/verifications that may wait for a hashing thread (argon2id runs at most UV_THREADPOOL_SIZE − 1 at once). Past it a sign-in answers 503 with Retry-After.',
          ),
        userDelayStart: z
          .number()
          .int()
          .min(0)
          .max(10_000)
          .default(250)
          .describe(
            'Username-wide delay, in milliseconds, after the first failed attempt for a username from anywhere; it doubles with each further failure up to `userDelayMax`. Never a refusal; a recognised device is not delayed.',
          ),
        userDelayMax: z.number().int().min(0).max(30_000).default(3000).describe('Longest username-wide delay, in milliseconds.'),
        userDelayWindow: z.number().int().min(10).default(900).describe('How long failures for a username are remembered for the delay, in seconds.'),
        deviceCookieTtl: z
          .number()
          .int()
          .min(3600)
          .default(15_552_000)
          .describe(
            'Lifetime of the recognised-device cookie set on a successful sign-in (`gh_device`, `__Host-` on https; names no user), in seconds. Default 180 days.',
          ),
        acrValues: z
          .array(z.string())
          .default(['urn:gatehouse:pwd'])
          .describe('ACR values this server can satisfy (password sign-in). Advertised as `acr_values_supported`.'),
      })
      .strict()
      .prefault({}),
    device: z
      .object({
        codeTtl: z.number().int().min(60).max(3600).default(600).describe('Device code and user code lifetime (RFC 8628 `expires_in`).'),
        interval: z
          .number()
          .int()
          .min(1)
          .max(60)
          .default(5)
          .describe('Minimum polling interval (RFC 8628 `interval`); polling faster gets `slow_down` and +5 s.'),
        userCodeMaxAttempts: z
          .number()
          .int()
          .min(1)
          .default(10)
          .describe(
            'User-code lookups allowed per client address per minute on the /device page (entering a code and confirming it both count, right or wrong).',
          ),
      })
      .strict()
      .prefault({}),
    logout: z
      .object({
        backchannelTimeout: z.number().int().min(1).max(60).default(5).describe('Timeout of one back-channel logout delivery attempt, in seconds.'),
        backchannelRetries: z.number().int().min(0).max(10).default(3).describe('Retries of a failed back-channel logout delivery (exponential back-off).'),
      })
      .strict()
      .prefault({}),
    outbound: z
      .object({
        allowHosts: z
          .array(z.string())
          .default([])
          .describe(
            'Destinations the guarded outbound fetcher may reach although they are (or resolve to) a loopback, private, link-local or other special address: hostnames (exact) or IP addresses / CIDR ranges. Production refuses loopback entries (and the fetcher never reaches this machine there). Every fetch of a client- or request-supplied URL goes through this guard: client `jwks_uri`, `backchannel_logout_uri` notifications and Client ID Metadata Documents (an https `client_id`, with their revalidations) (docs/security.md "Outbound requests").',
          ),
        connectTimeoutMs: z.number().int().min(100).max(60_000).default(3000).describe('Longest an outbound connection (TCP + TLS) may take, in milliseconds.'),
        timeoutMs: z
          .number()
          .int()
          .min(100)
          .max(60_000)
          .default(5000)
          .describe(
            'Longest an outbound request may take from start to the last body byte, in milliseconds (a caller with a shorter deadline, e.g. `logout.backchannelTimeout`, stops sooner).',
          ),
        maxJwksBytes: z
          .number()
          .int()
          .min(1024)
          .max(10_485_760)
          .default(262_144)
          .describe('Largest accepted client `jwks_uri` document, in bytes; a longer body is abandoned while streaming.'),
        maxLogoutResponseBytes: z
          .number()
          .int()
          .min(0)
          .max(1_048_576)
          .default(65_536)
          .describe(
            'Largest accepted response body of a back-channel logout POST, in bytes; a longer body is abandoned and the delivery fails as `too_large`.',
          ),
        maxWebhookResponseBytes: z
          .number()
          .int()
          .min(0)
          .max(1_048_576)
          .default(65_536)
          .describe('Largest accepted response body of an event webhook POST, in bytes; a longer body is abandoned and the delivery is retried.'),
        maxClientMetadataBytes: z
          .number()
          .int()
          .min(512)
          .max(65_536)
          .default(5120)
          .describe(
            'Largest accepted Client ID Metadata Document, in bytes (the draft suggests 5 KiB); a longer body is abandoned while streaming and the client id is refused.',
          ),
        maxOtlpResponseBytes: z
          .number()
          .int()
          .min(0)
          .max(1_048_576)
          .default(65_536)
          .describe(
            'Largest accepted response body of an OTLP trace export (the collector named by `OTEL_EXPORTER_OTLP_*`), in bytes; a longer body is abandoned and that batch of spans is dropped.',
          ),
      })
      .strict()
      .prefault({}),
    theme: z
      .object({
        productName: z.string().min(1).max(100).default('Gatehouse').describe('Name shown on sign-in, consent and other pages.'),
        logoFile: z.string().optional().describe('Path to an SVG or PNG logo served from `/assets/logo` (no external assets).'),
        primaryColor: z
          .string()
          .regex(/^#[0-9a-fA-F]{6}$/)
          .default('#1d4ed8')
          .describe('Buttons and links (a hex colour).'),
        backgroundColor: z
          .string()
          .regex(/^#[0-9a-fA-F]{6}$/)
          .default('#f4f6fb')
          .describe('Page background (a hex colour).'),
      })
      .strict()
      .prefault({}),
    pages: z
      .object({
        locales: z
          .array(z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 language tag such as `de` or `pt-BR`'))
          .min(1)
          .default(['en', 'de', 'fr', 'es'])
          .describe(
            'Languages of the sign-in, consent, device, logout and error pages, advertised as `ui_locales_supported`. `en`, `de`, `fr` and `es` ship; another language needs every text in `pages.messages.<tag>`.',
          ),
        defaultLocale: z.string().default('en').describe('Language when neither `ui_locales` nor `Accept-Language` names one of `pages.locales`.'),
        messages: z
          .record(z.string(), z.record(z.string(), z.string().min(1).max(2000)))
          .default({})
          .describe(
            'Page texts by language and message key (`{ de: { "login.title": "Willkommen" } }`), replacing the shipped ones; placeholders such as `{client}` must match the English text. Keys: src/http/pages/messages/en.ts.',
          ),
        stylesheet: z
          .string()
          .optional()
          .describe("Path to a CSS file linked after the theme on every page, served from `/assets/custom.css` (the CSP stays `style-src 'self'`)."),
      })
      .strict()
      .prefault({}),
    keys: z
      .object({
        algorithms: z
          .array(z.enum(['RS256', 'PS256', 'ES256', 'EdDSA']))
          .default(['RS256', 'ES256', 'PS256', 'EdDSA'])
          .describe('Algorithms that get a signing key. Must include the access token and ID token algorithms.'),
        rotationInterval: duration(0, 'Automatic rotation period; 0 disables scheduled rotation (use `gatehouse keys rotate`).'),
        gracePeriod: duration(
          86400,
          'How long a retired key stays in the JWKS after rotation, so earlier tokens keep verifying. Must be ≥ the longest token lifetime.',
        ),
        refreshInterval: z
          .number()
          .int()
          .min(1)
          .max(3600)
          .default(30)
          .describe('How often each instance reloads keys from the store: the bound on how long a rotation takes to reach every instance.'),
      })
      .strict()
      .prefault({}),
    clientAuth: z
      .object({
        assertionMaxLifetime: z
          .number()
          .int()
          .min(60)
          .max(86400)
          .default(3600)
          .describe(
            'Furthest accepted `exp` of a JWT client assertion (RFC 7523 §3), in seconds from now, and the longest `exp - iat`. 3600 is what common client libraries send (e.g. Authlib).',
          ),
        assertionMaxAge: z
          .number()
          .int()
          .min(10)
          .max(3600)
          .default(300)
          .describe(
            'Oldest accepted `iat` of a JWT client assertion, in seconds before now (beyond `clockSkew`). An assertion without `iat` is bounded by `exp` alone; its `jti` is remembered until `exp`.',
          ),
        strictAudience: z
          .boolean()
          .default(false)
          .describe(
            'Accept only the issuer identifier as a JWT client assertion `aud`, for every client (draft-ietf-oauth-rfc7523bis). Off: the issuer, the token endpoint URL or the URL of the endpoint called; always one value. Per client: `strict_assertion_audience`; assertions typed `client-authentication+jwt` are always strict.',
          ),
        // RFC 7523 §3 item 4 "subject to allowable clock skew": bounded (S20), or a large value
        // would turn expiry off for client assertions, request objects and trusted issuers' JWTs.
        clockSkew: z
          .number()
          .int()
          .min(0)
          .max(300)
          .default(30)
          .describe("Tolerated clock skew for `exp`/`nbf`/`iat` of client assertions, request objects and trusted issuers' JWTs, in seconds (at most 300)."),
        jwksCacheTtl: duration(300, 'How long a client `jwks_uri` document is cached.'),
      })
      .strict()
      .prefault({}),
    users: z
      .object({
        revokeOnDisable: z
          .boolean()
          .default(true)
          .describe(
            "`users disable` also ends the user's sessions (Back-Channel Logout sent) and revokes its grants: refresh tokens, opaque access tokens and, through the grant denylist, JWT access tokens. Off: the user's tokens are only inactive while it is disabled and work again once it is enabled (until they expire).",
          ),
        revokeOnPasswordChange: z
          .boolean()
          .default(true)
          .describe(
            "`users set-password` also ends the user's sessions (Back-Channel Logout sent) and revokes its grants, so whoever knew the old password loses what it obtained.",
          ),
        attributes: userAttributesSchema,
      })
      .strict()
      .prefault({}),
    claims: z
      .object({ scopes: claimScopesSchema })
      .strict()
      .prefault({})
      .describe('Which scopes release which user claims beyond OpenID Connect standard claims (docs/users.md).'),
    dpop: z
      .object({
        algorithms: z
          .array(z.enum(['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519']))
          .min(1)
          .default(['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'])
          .describe(
            'Asymmetric JWS algorithms a DPoP proof may be signed with (RFC 9449 §5.1 `dpop_signing_alg_values_supported`); `none` and HMAC are never accepted.',
          ),
        proofMaxAge: z
          .number()
          .int()
          .min(5)
          .max(600)
          .default(60)
          .describe(
            'Oldest accepted DPoP proof `iat`, in seconds before now (beyond `clockSkew`); its `jti` is remembered in the shared replay cache that long.',
          ),
        clockSkew: z.number().int().min(0).max(300).default(10).describe('Tolerated clock difference for a DPoP proof `iat`, in seconds, both ways.'),
        requireNonce: z
          .boolean()
          .default(false)
          .describe(
            'Require a server nonce in every DPoP proof (RFC 9449 §8, §9): a proof without the current one gets `use_dpop_nonce` and a `DPoP-Nonce` header. Off by default: the `iat` window and the shared `jti` replay cache already refuse replays; turn it on to bound proofs a compromised client could pre-generate.',
          ),
        nonceWindow: z
          .number()
          .int()
          .min(10)
          .max(3600)
          .default(300)
          .describe(
            'Lifetime of one server nonce window, in seconds; a nonce is accepted in its window and the next (stateless HMAC under the KEK, shared by every instance).',
          ),
      })
      .strict()
      .prefault({})
      .describe('DPoP, sender-constrained tokens (RFC 9449; docs/dpop.md).'),
    introspection: z
      .object({
        access: z
          .enum(['any-client', 'own-or-audience'])
          .default('own-or-audience')
          .describe(
            '`own-or-audience`: a client sees tokens issued to it or naming it in `aud`; `any-client`: every authenticated client sees every token. Others get `{"active":false}`.',
          ),
        privilegedClients: z.array(z.string()).default([]).describe('Client ids that may introspect every token.'),
      })
      .strict()
      .prefault({}),
    clientIdMetadataDocuments: z
      .object({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            'Accept an https URL as `client_id` and resolve it by fetching its Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document) through the guarded outbound fetcher. Off by default: turning it on lets any web site act as a public client (always behind the consent page). docs/authorization.md "Client ID Metadata Documents".',
          ),
        trust: z
          .enum(['any-with-consent', 'allow-list'])
          .default('any-with-consent')
          .describe('`any-with-consent`: any host not in `denyHosts`, always behind the consent page; `allow-list`: only hosts in `allowHosts`.'),
        allowHosts: z
          .array(z.string().min(1).max(253))
          .default([])
          .describe(
            'Hosts whose client ids are accepted with `trust: allow-list`: exact names, or `*.example.com` for every subdomain (not the name itself). Compared case-insensitively and without a final dot (`example.com.` and `example.com` are one host), IPv6 with or without brackets.',
          ),
        denyHosts: z
          .array(z.string().min(1).max(253))
          .default([])
          .describe('Hosts whose client ids are always refused (same forms as `allowHosts`); wins over `allowHosts`.'),
        redirectUris: z
          .enum(['same-host-or-loopback', 'any'])
          .default('same-host-or-loopback')
          .describe(
            "`same-host-or-loopback`: each redirect URI is https on the client id URL's host, or an RFC 8252 §7.3 loopback `http://127.0.0.1` / `[::1]` / `localhost` URI (any port); `any`: whatever a registered client may use.",
          ),
        allowedScopes: z
          .array(z.string())
          .default([])
          .describe('Scopes such a client may ask for; empty = `openid profile email offline_access` (admin scopes never).'),
        cacheMaxEntries: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(1000)
          .describe(
            'Documents kept in memory at once (least recently used go first). The cache is private and follows RFC 9111: `no-store` is never kept, stale documents are revalidated with `ETag`/`Last-Modified`.',
          ),
        cacheMaxTtl: z
          .number()
          .int()
          .min(1)
          .max(604_800)
          .default(86_400)
          .describe(
            'Longest time a fetched document is used without revalidation, in seconds, whatever its `Cache-Control: max-age` or `Expires` says (a cache may stop trusting a response earlier, never later). Shorter freshness is kept as sent (RFC 9111: `max-age=0` and `no-cache` are revalidated before every use).',
          ),
        cacheDefaultTtl: z
          .number()
          .int()
          .min(0)
          .max(604_800)
          .default(300)
          .describe(
            'Heuristic freshness (RFC 9111 §4.2.2), in seconds, for a document whose response has neither `Cache-Control: max-age` nor `Expires` (at most `cacheMaxTtl`; 0: revalidate or refetch before every use).',
          ),
      })
      .strict()
      .prefault({}),
    registration: z
      .object({
        enabled: z.boolean().default(false).describe('Enable Dynamic Client Registration (RFC 7591/7592).'),
        initialAccessTokens: z
          .array(z.string().min(16))
          .default([])
          .describe(
            'Initial access tokens accepted at `/register`. Empty with `enabled` = open registration. Env: GATEHOUSE_REGISTRATION_INITIAL_ACCESS_TOKEN.',
          ),
        allowedScopes: z.array(z.string()).default([]).describe('Scopes a dynamically registered client may ask for; empty = only `openid profile email`.'),
        allowedGrantTypes: z.array(z.string()).default(['client_credentials']).describe('Grant types a dynamically registered client may use.'),
      })
      .strict()
      .prefault({}),
    resources: z.array(resourceSchema).default([]).describe('Resource server registry (RFC 8707).'),
    trustedIssuers: trustedIssuersSchema,
    requireResourceRegistration: z
      .boolean()
      .default(false)
      .describe('Refuse `resource` values that are not in the registry (otherwise any absolute URI becomes the audience).'),
    cors: z
      .object({
        origins: z
          .array(z.string())
          .default([])
          .describe(
            'Origins allowed by CORS on token/introspection/revocation/discovery/JWKS. Empty = CORS closed. Env: GATEHOUSE_CORS_ORIGINS (comma-separated).',
          ),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        bodyLimit: z.number().int().min(1024).max(10_485_760).default(65_536).describe('Largest accepted request body, in bytes.'),
        importBodyLimit: z
          .number()
          .int()
          .min(65_536)
          .max(268_435_456)
          .default(33_554_432)
          .describe(
            'Largest export document `POST /admin/api/v1/import` accepts, in bytes (it is validated whole before anything is written). Other admin API bodies: 256 KiB.',
          ),
        trustProxy: z
          .union([z.boolean(), z.number().int().min(1).max(32), z.array(z.string().refine(isCidrOrAddress, 'must be an IP address or CIDR range')).min(1)])
          .default(false)
          .describe(
            'Which `X-Forwarded-For` hop is the client (its address keys the rate limits and sign-in throttling). `false`: the header is ignored, the TCP peer is the client. A hop count (`1`: one proxy in front). A list of proxy addresses / CIDR ranges: hops from those are skipped. `true` trusts every hop (only behind a proxy that overwrites the header). Env: GATEHOUSE_TRUST_PROXY (`false`, a number, or a comma list).',
          ),
        shutdownGrace: duration(10, 'Seconds to drain in-flight requests on SIGTERM before closing.'),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        url: z
          .string()
          .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
          .optional()
          .describe(
            '`redis://` or `rediss://` (TLS) URL, database number in the path (`redis://127.0.0.1:6379/0`). Set: rate limits and the replay cache of client-assertion and DPoP proof `jti`s are shared through Redis by every instance (the store keeps the final record either way). Unset: limits count per instance. Env: GATEHOUSE_REDIS_URL.',
          ),
        connectTimeoutMs: z.number().int().min(100).max(60_000).default(2000).describe('Longest a Redis connection attempt may take, in milliseconds.'),
        commandTimeoutMs: z
          .number()
          .int()
          .min(10)
          .max(10_000)
          .default(250)
          .describe('Longest one Redis command may take, in milliseconds; past it the call falls back (limits: memory; replay cache: the store).'),
        keyPrefix: z
          .string()
          .regex(/^[\w:.-]{1,64}$/)
          .default('gh:')
          .describe('Prefix of every Redis key Gatehouse writes (several deployments may share one Redis database).'),
      })
      .strict()
      .prefault({}),
    rateLimits: rateLimitsSchema,
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level. Env: GATEHOUSE_LOG_LEVEL.'),
        format: z
          .enum(['auto', 'json', 'pretty'])
          .default('auto')
          .describe(
            '`json`: one JSON object per line (for log collectors). `pretty`: one readable line per request and message, coloured on a terminal. `auto`: `pretty` when `env` is `development` and standard output is a terminal, else `json`. Env: GATEHOUSE_LOG_FORMAT.',
          ),
      })
      .strict()
      .prefault({}),
    maintenance: z
      .object({
        purgeInterval: duration(
          600,
          'How often each instance deletes expired tokens, sessions, codes, device codes, pushed requests, denylist and replay entries; 0 disables.',
        ),
        expiredRetention: duration(
          86400,
          'How long expired tokens and codes are kept before purging (so recently expired ones still introspect as inactive and reuse is still detected).',
        ),
      })
      .strict()
      .prefault({}),
    audit: z
      .object({
        headInterval: duration(
          300,
          'How often each instance publishes the audit chain head (log line, `gatehouse_audit_head_seq`, event `audit.head_published`) so that removing the newest records is detectable; 0 disables.',
        ),
        retentionDays: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe(
            'Audit records older than this many days are deleted by the maintenance purge (a checkpoint keeps the rest verifiable); 0 keeps them forever. Manual: `gatehouse audit purge`.',
          ),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        enabled: z.boolean().default(true).describe('Serve Prometheus metrics at `/metrics`.'),
        clientIdLabels: z
          .number()
          .int()
          .min(0)
          .max(10_000)
          .default(100)
          .describe(
            'How many distinct client ids get their own series in `oauth2_tokens_issued_by_client_total` (first come, first served per process); tokens of later clients count as `other`, so open registration cannot grow a scrape without bound. 0: every client is `other`.',
          ),
      })
      .strict()
      .prefault({}),
    // Timeouts, circuit breakers, bulkheads and load shedding (src/config/resilience-schema.ts).
    resilience: resilienceSchema,
    events: eventsSchema,
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type Config = Readonly<z.output<typeof configSchema>>;
