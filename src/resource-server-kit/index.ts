/**
 * `gatehouse/resource-server`: the resource-server kit for APIs and MCP servers that run apart
 * from Gatehouse (docs/resource-servers.md). It verifies access tokens remotely — JWTs against
 * the authorization server's JWKS with the RFC 9068 §4 rules, or opaque tokens by RFC 7662
 * introspection behind a bounded cache — DPoP proofs and `cnf.jkt` binding (RFC 9449 §7),
 * audience and scopes; it builds the RFC 9728 metadata document and answers 401/403 with the
 * `WWW-Authenticate` challenges of RFC 6750 §3, RFC 9449 §7.1 and RFC 9728 §5.1.
 *
 * Self-contained by rule (scripts/check-imports.mjs): jose, node built-ins and Gatehouse's pure
 * core helpers only — never the store, the HTTP layer or the composition root.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, type JWTPayload, jwtVerify } from 'jose';
import { createDpopNonces } from '../core/dpop/dpop-nonce.ts';
import { createDpopVerifier, DPOP_ALGORITHMS, type DpopAlgorithm, type DpopVerifier } from '../core/dpop/dpop-proof.ts';
import { normalizeHtu } from '../core/dpop/htu.ts';
import { checkTokenBinding } from '../core/dpop/token-binding.ts';
import { OAuthError } from '../core/errors.ts';
import type { TenantId } from '../core/model/tenant.ts';
import type { ReplayCache } from '../core/ports/replay-cache.ts';
import { challenge, type ChallengeParam } from '../core/www-authenticate.ts';

export type { ReplayCache } from '../core/ports/replay-cache.ts';

/** JWS algorithms accepted for access tokens by default: asymmetric only, never `none` or HS* (RFC 9068 §4 item 6, RFC 8725 §3.1). */
export const DEFAULT_ACCESS_TOKEN_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA'] as const;

export type Verification =
  | { readonly kind: 'jwt'; readonly algorithms?: readonly string[] }
  | {
      readonly kind: 'introspection';
      /** The resource server's own client at the authorization server (RFC 7662 §2.1: the caller authenticates). */
      readonly clientId: string;
      readonly clientSecret: string;
      /** How long an introspection answer is reused (never past the token's `exp`); 0 turns the cache off. Default 60. */
      readonly cacheTtlSeconds?: number;
      /** Most answers kept (oldest dropped first). Default 10 000. */
      readonly cacheSize?: number;
    };

export interface ResourceServerOptions {
  /** The authorization server's issuer (its RFC 8414 / OIDC discovery document is read from there). */
  readonly issuer: string;
  /** This resource's identifier (RFC 8707, RFC 9728 §1.2): the audience its tokens must carry, and its public base URL. */
  readonly resource: string;
  /** RFC 9728 §2 `scopes_supported`. */
  readonly scopesSupported?: readonly string[];
  /** RFC 9728 §2 `resource_name`. */
  readonly resourceName?: string;
  readonly verification: Verification;
  /** DPoP (RFC 9449 §7). Without it only Bearer tokens are taken and a DPoP-bound token is refused. */
  readonly dpop?: {
    /** Refuse Bearer tokens altogether (RFC 9728 `dpop_bound_access_tokens_required`). */
    readonly required?: boolean;
    /** Proof algorithms accepted (default ES256, PS256, EdDSA and the rest of the asymmetric set). */
    readonly algorithms?: readonly DpopAlgorithm[];
    /**
     * Where proof `jti`s are spent (RFC 9449 §11.1). The default is this process's memory: right
     * for ONE resource-server process; several instances behind a load balancer must share one
     * (e.g. Redis `SET key 1 NX EXAT expiresAt`: `expiresAt` is in seconds), or a proof replayed at another
     * instance passes. Only `useOnce` is called.
     */
    readonly replayCache?: Pick<ReplayCache, 'useOnce'>;
    /** Oldest accepted proof `iat`, in seconds (default 300), and the clock skew tolerated both ways (default 5). */
    readonly proofMaxAge?: number;
    readonly clockSkew?: number;
    /**
     * Server-provided nonces (RFC 9449 §9): every proof must carry a nonce this resource handed
     * out, which bounds a pre-generated proof's life to one or two windows. The nonce is the HMAC
     * of a time window under `secret`, so nothing is stored and every instance of the resource
     * server that shares the secret accepts the others' nonces. A proof without one (or with an
     * expired one) gets 401 `use_dpop_nonce` and a `DPoP-Nonce` header; a proof carrying the
     * previous window's nonce passes and `VerifiedToken.dpopNonce` carries the new one to send.
     */
    readonly nonce?: {
      /** At least 32 bytes (a string is taken as UTF-8). Not the authorization server's key: a secret of this resource. */
      readonly secret: string | Uint8Array;
      /** Seconds a nonce window lasts (default 60; a nonce is accepted for one to two windows). */
      readonly windowSeconds?: number;
    };
  };
  /** Clock skew tolerated for `exp`/`nbf`/`iat` of access tokens, in seconds (default 5). */
  readonly clockToleranceSeconds?: number;
  /** The `fetch` used for discovery and introspection (default: the global one). */
  readonly fetch?: typeof fetch;
}

/** What a verified access token says. */
export interface VerifiedToken {
  /** The access token itself (e.g. for the MCP SDK's `AuthInfo.token`). */
  readonly token: string;
  readonly scheme: 'Bearer' | 'DPoP';
  readonly subject: string | undefined;
  /** `client_id` (RFC 9068 §2.2 requires it in JWTs; '' when an introspection answer leaves it out). Shaped like the MCP SDK's `AuthInfo`. */
  readonly clientId: string;
  readonly scopes: string[];
  readonly audience: readonly string[];
  readonly expiresAt: number | undefined;
  /** RFC 7800 / RFC 9449 §6 confirmation (`jkt` when DPoP-bound). */
  readonly cnf: { readonly jkt?: string } | undefined;
  /** Every claim of the JWT payload, or of the introspection response. */
  readonly claims: Readonly<Record<string, unknown>>;
  /**
   * With `dpop.nonce`: a fresh nonce to send back in a `DPoP-Nonce` response header because the
   * proof carried the previous window's (RFC 9449 §9). The Fastify plugin and the middleware set
   * the header themselves; a web-`Request` handler adds it to its `Response`.
   */
  readonly dpopNonce: string | undefined;
}

/**
 * A refusal: `status` 401 or 403, the OAuth `code`, and the headers to send (`WWW-Authenticate`,
 * maybe `DPoP-Nonce`); or 503 `temporarily_unavailable` with `Retry-After` when the built-in
 * DPoP replay cache is full.
 */
export class ResourceServerError extends Error {
  readonly status: 401 | 403 | 503;
  readonly code: string | null;
  readonly description: string;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: 401 | 403 | 503, code: string | null, description: string, headers: Record<string, string>) {
    super(code ? `${code}: ${description}` : description);
    this.name = 'ResourceServerError';
    this.status = status;
    this.code = code;
    this.description = description;
    this.headers = headers;
  }
  /** The web `Response` for this refusal (JSON body `{ error, error_description }`). */
  toResponse(): Response {
    return errorResponse(this);
  }
}

/** A `Response` for a `ResourceServerError` (anything else is rethrown: it is a bug, not a refusal). */
export function errorResponse(error: unknown): Response {
  if (!(error instanceof ResourceServerError)) throw error;
  const body = error.code ? JSON.stringify({ error: error.code, error_description: error.description }) : '';
  return new Response(body || null, {
    status: error.status,
    headers: { ...error.headers, 'cache-control': 'no-store', ...(body ? { 'content-type': 'application/json' } : {}) },
  });
}

/** A request as the kit reads it: a web `Request`'s fields, or a Node/Fastify request's. */
export interface IncomingRequestParts {
  readonly method: string;
  /** The absolute URL the client addressed (RFC 9449 §4.3 `htu`; the query is ignored). */
  readonly url: string;
  readonly authorization: string | undefined;
  /** The `DPoP` header value(s). */
  readonly dpop: string | readonly string[] | undefined;
}

export interface AuthenticateOptions {
  /** Scopes the token must ALL carry (403 insufficient_scope otherwise). */
  readonly scopes?: readonly string[];
}

export interface ResourceServer {
  readonly resource: string;
  /** `…/.well-known/oauth-protected-resource{path}` (RFC 9728 §3.1). */
  readonly metadataUrl: string;
  /** The path of `metadataUrl`, to route it. */
  readonly metadataPath: string;
  /** The RFC 9728 §2 document. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Verifies the token of a web `Request`; throws `ResourceServerError`. */
  authenticate(request: Request, opts?: AuthenticateOptions): Promise<VerifiedToken>;
  /** The same over already-extracted parts (what the Fastify and Node faces use). */
  verify(parts: IncomingRequestParts, opts?: AuthenticateOptions): Promise<VerifiedToken>;
  /** The metadata document as a `Response` (for a web-`Request` router). */
  metadataResponse(): Response;
}

/** RFC 6750 §2.1 b64token / RFC 9449 §7.1 token68; schemes are case-insensitive (RFC 9110 §11.1). */
const AUTHORIZATION = /^(bearer|dpop) +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_TOKEN_LENGTH = 16 * 1024;

/**
 * An in-memory `ReplayCache` for one process (expired entries dropped as it goes). RFC 9449 §11.1:
 * a `jti` is kept for as long as its proof could pass, so a live entry is never dropped to make
 * room: with `maxEntries` live proofs held, a new one is refused with 503
 * `temporarily_unavailable` (fail closed) until entries expire. Only proofs that came with a valid
 * token are stored, so filling it takes valid tokens.
 */
export function memoryReplayCache(maxEntries = 100_000): ReplayCache {
  const seen = new Map<string, number>();
  let lastFullSweep = Number.NEGATIVE_INFINITY;
  const sweep = (now: number) => {
    for (const [k, until] of seen) if (until <= now) seen.delete(k);
  };
  return {
    async useOnce(key, expiresAt) {
      const now = Date.now() / 1000;
      const until = seen.get(key);
      if (until !== undefined && until > now) return false;
      if (seen.size >= maxEntries) {
        // Oldest first: entries mostly expire in the order they came.
        for (const [k, u] of seen) {
          if (u > now) break;
          seen.delete(k);
        }
        // The rest at most once a second, so a full cache does not cost a whole scan per request.
        if (seen.size >= maxEntries && now - lastFullSweep >= 1) {
          lastFullSweep = now;
          sweep(now);
        }
        if (seen.size >= maxEntries) {
          throw new ResourceServerError(503, 'temporarily_unavailable', 'the DPoP replay cache is full; retry later', { 'retry-after': '1' });
        }
      }
      seen.set(key, expiresAt);
      return true;
    },
    async purgeExpired(before) {
      const n = seen.size;
      sweep(before);
      return n - seen.size;
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const stringList = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

class Invalid extends Error {
  readonly code: 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce';
  readonly description: string;
  /** Headers the refusal carries besides `WWW-Authenticate` (`DPoP-Nonce` for use_dpop_nonce). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(code: 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce', description: string, headers: Readonly<Record<string, string>> = {}) {
    super(description);
    this.code = code;
    this.description = description;
    this.headers = headers;
  }
}

const MIN_NONCE_SECRET_BYTES = 32;

export function createResourceServer(opts: ResourceServerOptions): ResourceServer {
  const issuer = opts.issuer;
  const resource = opts.resource;
  const resourceUrl = new URL(resource);
  const doFetch = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
  const leeway = opts.clockToleranceSeconds ?? 5;
  const path = resourceUrl.pathname === '/' ? '' : resourceUrl.pathname.replace(/\/+$/, '');
  const metadataPath = `/.well-known/oauth-protected-resource${path}`;
  const metadataUrl = `${resourceUrl.origin}${metadataPath}`;

  const dpopOpts = opts.dpop;
  const dpopAlgorithms: readonly DpopAlgorithm[] = dpopOpts?.algorithms ?? DPOP_ALGORITHMS.filter((a) => a !== 'Ed25519');
  const clock = { now: () => Date.now() };
  const nonceOpts = dpopOpts?.nonce;
  let nonces: ReturnType<typeof createDpopNonces> = { current: () => '', check: () => 'invalid' };
  if (nonceOpts) {
    const secret = typeof nonceOpts.secret === 'string' ? Buffer.from(nonceOpts.secret, 'utf8') : Buffer.from(nonceOpts.secret);
    if (secret.length < MIN_NONCE_SECRET_BYTES) throw new Error(`dpop.nonce.secret must be at least ${MIN_NONCE_SECRET_BYTES} bytes`);
    const window = nonceOpts.windowSeconds ?? 60;
    if (!Number.isInteger(window) || window < 1) throw new Error('dpop.nonce.windowSeconds must be a whole number of seconds ≥ 1');
    nonces = createDpopNonces(secret, window, clock);
  }
  const dpop: DpopVerifier | null = dpopOpts
    ? createDpopVerifier(
        { replay: dpopOpts.replayCache ?? memoryReplayCache(), clock, nonces, tenantId: 'resource' as TenantId },
        {
          dpop: {
            algorithms: dpopAlgorithms,
            proofMaxAge: dpopOpts.proofMaxAge ?? 300,
            clockSkew: dpopOpts.clockSkew ?? 5,
            requireNonce: nonceOpts !== undefined,
          },
        },
      )
    : null;
  const bearerAllowed = !dpopOpts?.required;

  const metadata: Record<string, unknown> = {
    resource,
    authorization_servers: [issuer],
    ...(opts.scopesSupported ? { scopes_supported: [...opts.scopesSupported] } : {}),
    bearer_methods_supported: ['header'],
    ...(dpop ? { dpop_signing_alg_values_supported: [...dpopAlgorithms], dpop_bound_access_tokens_required: !bearerAllowed } : {}),
    ...(opts.resourceName ? { resource_name: opts.resourceName } : {}),
  };
  const metadataBody = JSON.stringify(metadata);

  // --- discovery (RFC 8414 §3, falling back to OpenID Connect Discovery §4) ---------------------
  let discovered: Promise<Record<string, unknown>> | null = null;
  const discover = () => {
    discovered ??= (async () => {
      const iss = new URL(issuer);
      const p = iss.pathname === '/' ? '' : iss.pathname.replace(/\/+$/, '');
      const candidates = [`${iss.origin}/.well-known/oauth-authorization-server${p}`, `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`];
      for (const url of candidates) {
        const res = await doFetch(url, { headers: { accept: 'application/json' } });
        if (!res.ok) continue;
        const doc: unknown = await res.json();
        // RFC 8414 §3.3: the issuer in the document is the one asked for, or the document is not used.
        if (!isObject(doc) || doc.issuer !== issuer) throw new Error(`the metadata at ${url} is not for the issuer ${issuer}`);
        return doc;
      }
      throw new Error(`no authorization server metadata for ${issuer}`);
    })().catch((e) => {
      discovered = null; // try again on the next request
      throw e;
    });
    return discovered;
  };

  // --- JWT access tokens (RFC 9068 §4) ------------------------------------------------------------
  let jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  const jwtAlgorithms = opts.verification.kind === 'jwt' ? [...(opts.verification.algorithms ?? DEFAULT_ACCESS_TOKEN_ALGORITHMS)] : [];
  if (jwtAlgorithms.some((a) => a === 'none' || /^HS/.test(a))) throw new Error('access-token algorithms must be asymmetric (never none or HS*)');
  const verifyJwt = async (token: string): Promise<Record<string, unknown>> => {
    if (!jwks) {
      const doc = await discover();
      if (typeof doc.jwks_uri !== 'string') throw new Error('the authorization server publishes no jwks_uri');
      // Cached; an unknown kid refetches (at most every 30 s), so key rotation is picked up.
      jwks = createRemoteJWKSet(new URL(doc.jwks_uri));
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new Invalid('invalid_token', 'the access token is not a JWT');
    }
    // RFC 9068 §4 item 6 / RFC 8725 §3.1: the alg comes from an allow-list, never from the token.
    if (typeof header.alg !== 'string' || !jwtAlgorithms.includes(header.alg)) throw new Invalid('invalid_token', 'the access token alg is not accepted');
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer, // RFC 9068 §4 item 3
        audience: resource, // item 4
        typ: 'at+jwt', // item 1 (application/at+jwt is the same)
        algorithms: jwtAlgorithms,
        clockTolerance: leeway, // items 7, 8
        requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'], // RFC 9068 §2.2
      });
      return payload as JWTPayload & Record<string, unknown>;
    } catch (e) {
      if (e instanceof joseErrors.JOSEError) throw new Invalid('invalid_token', jwtReason(e));
      throw e;
    }
  };

  // --- introspection (RFC 7662) ----------------------------------------------------------------
  type Cached = { readonly claims: Record<string, unknown> | null; readonly until: number };
  const cache = new Map<string, Cached>();
  const introspect = async (token: string): Promise<Record<string, unknown>> => {
    const v = opts.verification;
    if (v.kind !== 'introspection') throw new Error('unreachable');
    const ttl = v.cacheTtlSeconds ?? 60;
    const key = createHash('sha256').update(token).digest('base64url');
    const now = Date.now() / 1000;
    const hit = cache.get(key);
    if (hit && hit.until > now) {
      if (!hit.claims) throw new Invalid('invalid_token', 'the access token is not active');
      return hit.claims;
    }
    if (hit) cache.delete(key);
    const doc = await discover();
    const endpoint = doc.introspection_endpoint;
    if (typeof endpoint !== 'string') throw new Error('the authorization server publishes no introspection_endpoint');
    // RFC 6749 §2.3.1: client_secret_basic, the id and secret form-encoded first.
    const basic = Buffer.from(`${encodeURIComponent(v.clientId)}:${encodeURIComponent(v.clientSecret)}`).toString('base64');
    const res = await doFetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    });
    if (!res.ok) throw new Error(`introspection failed with HTTP ${res.status}`);
    const body: unknown = await res.json();
    if (!isObject(body) || typeof body.active !== 'boolean') throw new Error('the introspection response is not RFC 7662 JSON');
    const active = body.active === true && (body.iss === undefined || body.iss === issuer) && stringList(body.aud).includes(resource);
    const exp = typeof body.exp === 'number' ? body.exp : undefined;
    if (ttl > 0) {
      // Never cached past the token's own expiry (an inactive answer: the TTL alone).
      const until = Math.min(now + ttl, active && exp !== undefined ? exp : Number.POSITIVE_INFINITY);
      if (cache.size >= (v.cacheSize ?? 10_000)) cache.delete(cache.keys().next().value!);
      cache.set(key, { claims: active ? body : null, until });
    }
    if (!active) throw new Invalid('invalid_token', body.active ? 'the access token is not for this resource' : 'the access token is not active');
    if (exp !== undefined && exp + leeway < now) throw new Invalid('invalid_token', 'the access token has expired');
    return body;
  };

  // --- challenges -------------------------------------------------------------------------------
  type Params = Partial<Record<ChallengeParam, string | undefined>>;
  const algs = dpop ? dpopAlgorithms.join(' ') : undefined;
  /** RFC 9449 §7.2: both schemes named when both are taken; the error on the one the client used (none without credentials). */
  const challenges = (used: 'Bearer' | 'DPoP' | null, params: Params, scope: string | undefined) => {
    const list: string[] = [];
    if (bearerAllowed) list.push(challenge('Bearer', { resource_metadata: metadataUrl, ...(used !== 'DPoP' ? params : {}), scope }));
    if (dpop) list.push(challenge('DPoP', { resource_metadata: metadataUrl, ...(used === 'DPoP' || !bearerAllowed ? params : {}), scope, algs }));
    return list.join(', ');
  };
  const unauthorized = (used: 'Bearer' | 'DPoP' | null, error: Invalid | null, scope: string | undefined) =>
    new ResourceServerError(401, error?.code ?? null, error?.description ?? 'an access token is required', {
      ...error?.headers,
      'www-authenticate': challenges(used, error ? { error: error.code, error_description: error.description } : {}, scope),
    });

  const verify = async (parts: IncomingRequestParts, o: AuthenticateOptions = {}): Promise<VerifiedToken> => {
    const needed = o.scopes ?? [];
    const scope = needed.length ? needed.join(' ') : undefined;
    const m = parts.authorization === undefined ? null : AUTHORIZATION.exec(parts.authorization);
    // RFC 6750 §3.1: no credentials (or another scheme) → a challenge without an error code.
    if (!m || m[2]!.length > MAX_TOKEN_LENGTH) throw unauthorized(null, null, scope);
    const scheme = m[1]!.toLowerCase() === 'bearer' ? 'Bearer' : 'DPoP';
    const token = m[2]!;
    if ((scheme === 'DPoP' && !dpop) || (scheme === 'Bearer' && !bearerAllowed)) throw unauthorized(null, null, scope);
    let claims: Record<string, unknown>;
    let nextNonce: string | undefined;
    try {
      const checkToken = async (jkt: string | null) => {
        const c = opts.verification.kind === 'jwt' ? await verifyJwt(token) : await introspect(token);
        const cnf = isObject(c.cnf) ? c.cnf : null;
        checkTokenBinding(cnf && typeof cnf.jkt === 'string' ? { jkt: cnf.jkt } : cnf ? {} : null, jkt);
        return c;
      };
      if (scheme === 'DPoP') {
        // RFC 9449 §7.1: the proof is for this request (htm, htu) and this token (ath). Its jti is
        // spent only once the token has passed too: a request with a made-up token fills no
        // replay cache.
        if (normalizeHtu(parts.url) === null) throw new Invalid('invalid_dpop_proof', 'the request URI is not absolute');
        claims = await dpop!.verifyThen({ proof: parts.dpop, method: parts.method, url: parts.url, accessToken: token }, async (proof) => {
          nextNonce = proof.nextNonce ?? undefined;
          return checkToken(proof.jkt);
        });
      } else claims = await checkToken(null);
    } catch (e) {
      // RFC 9449 §8.2: once the proof has passed with the previous window's nonce, every answer
      // carries the fresh one, refusals of the token included.
      const fresh: Record<string, string> = nextNonce ? { 'dpop-nonce': nextNonce } : {};
      if (e instanceof Invalid) throw unauthorized(scheme, new Invalid(e.code, e.description, { ...fresh, ...e.headers }), scope);
      if (e instanceof OAuthError && (e.code === 'invalid_token' || e.code === 'invalid_dpop_proof' || e.code === 'use_dpop_nonce')) {
        throw unauthorized(scheme, new Invalid(e.code, e.description ?? e.code, e.code === 'use_dpop_nonce' ? e.headers : fresh), scope);
      }
      throw e;
    }
    const granted = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
    const missing = needed.filter((s) => !granted.includes(s));
    if (missing.length) {
      // RFC 6750 §3.1: 403 insufficient_scope, `scope` naming what the request needs.
      const description = `the access token lacks the scope ${missing.join(' ')}`;
      throw new ResourceServerError(403, 'insufficient_scope', description, {
        ...(nextNonce ? { 'dpop-nonce': nextNonce } : {}),
        'www-authenticate': challenges(scheme, { error: 'insufficient_scope', error_description: description }, scope),
      });
    }
    const cnf = isObject(claims.cnf) ? (claims.cnf as { jkt?: string }) : undefined;
    return {
      token,
      scheme,
      subject: typeof claims.sub === 'string' ? claims.sub : undefined,
      clientId: typeof claims.client_id === 'string' ? claims.client_id : '',
      scopes: granted,
      audience: stringList(claims.aud),
      expiresAt: typeof claims.exp === 'number' ? claims.exp : undefined,
      cnf,
      claims,
      dpopNonce: nextNonce,
    };
  };

  return {
    resource,
    metadataUrl,
    metadataPath,
    metadata,
    verify,
    authenticate: (request, o) =>
      verify(
        {
          method: request.method,
          url: request.url,
          authorization: request.headers.get('authorization') ?? undefined,
          dpop: dpopValues(request.headers.get('dpop')),
        },
        o,
      ),
    metadataResponse: () =>
      new Response(metadataBody, { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600' } }),
  };
}

/**
 * The `DPoP` header value(s). A repeated header arrives joined with ", " (web `Headers`, and
 * Node's `IncomingMessage` for headers it does not know), which a JWT never contains: split, so
 * RFC 9449 §4.3 item 1 ("not more than one DPoP HTTP request header field") sees every one.
 */
function dpopValues(v: string | readonly string[] | null | undefined): string | readonly string[] | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'string') return v.length === 1 ? dpopValues(v[0]) : v;
  return v.includes(',') ? v.split(',').map((s) => s.trim()) : v;
}

function jwtReason(e: InstanceType<typeof joseErrors.JOSEError>): string {
  if (e instanceof joseErrors.JWTExpired) return 'the access token has expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return 'the access token is not for this resource';
    if (e.claim === 'iss') return 'the access token is from another issuer';
    if (e.claim === 'typ') return 'the access token typ must be at+jwt';
    return `the access token ${e.claim} claim is invalid`;
  }
  if (e instanceof joseErrors.JWKSNoMatchingKey || e instanceof joseErrors.JWSSignatureVerificationFailed) return 'the access token signature does not verify';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'the access token alg is not accepted';
  return 'the access token is invalid';
}

/** A Node `http` request's headers as the kit reads them (an `IncomingMessage`, or Express's `req`). */
export interface NodeRequestLike {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** The parts of a Node request; `origin` is the public origin clients address (default: the resource's). */
export function nodeRequestParts(req: NodeRequestLike, origin: string): IncomingRequestParts {
  const auth = req.headers['authorization'];
  return {
    method: req.method ?? 'GET',
    url: `${origin}${req.url ?? '/'}`,
    authorization: Array.isArray(auth) ? undefined : auth,
    dpop: dpopValues(req.headers['dpop']),
  };
}

/**
 * Express-style middleware `(req, res, next)`: sets `req.auth` (the verified token) or answers
 * the 401/403 itself. Works with Express and bare `node:http` (call it before your handler).
 */
export function requireScopesMiddleware(rs: ResourceServer, scopes: readonly string[] = []) {
  const origin = new URL(rs.resource).origin;
  return (
    req: NodeRequestLike & { auth?: VerifiedToken },
    res: { statusCode: number; setHeader(name: string, value: string): unknown; end(body?: string): unknown },
    next: (err?: unknown) => void,
  ): void => {
    rs.verify(nodeRequestParts(req, origin), { scopes }).then(
      (token) => {
        req.auth = token;
        // RFC 9449 §9: the proof carried the previous window's nonce; hand out the current one.
        if (token.dpopNonce) res.setHeader('dpop-nonce', token.dpopNonce);
        next();
      },
      (e: unknown) => {
        if (!(e instanceof ResourceServerError)) return next(e);
        res.statusCode = e.status;
        for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
        res.setHeader('cache-control', 'no-store');
        if (e.code) res.setHeader('content-type', 'application/json');
        res.end(e.code ? JSON.stringify({ error: e.code, error_description: e.description }) : undefined);
      },
    );
  };
}
