import { safeEqual, sha256 } from '../crypto.ts';
import { OAuthError } from '../errors.ts';
import type { Client, ClientAuthMethod } from '../model/client.ts';
import { epochSeconds } from '../ports/clock.ts';
import type { Ports } from '../ports/index.ts';
import type { RateLimiter } from '../ports/rate-limiter.ts';
import { createAddressKeys } from '../rate-limits/address-key-cache.ts';
import { rateLimited } from '../rate-limits/rate-limited.ts';
import { ClientJwksCache } from './client-jwks.ts';
import { AuthRefusal, claimedClientId, verifyClientAssertion } from './jwt-assertion.ts';
import type { AuthenticatedClient, ClientAuthenticator, ClientCredentials } from './types.ts';
import { kekRing } from '../keys/kek.ts';

export interface ClientAuthConfig {
  readonly issuer: string;
  readonly clientAuth: {
    readonly assertionMaxAge: number;
    readonly assertionMaxLifetime: number;
    readonly strictAudience: boolean;
    readonly clockSkew: number;
    readonly jwksCacheTtl: number;
  };
  /** The penalty bucket (absent or `limit` 0: off). */
  readonly rateLimits?: { readonly enabled: boolean; readonly clientAuthFailures: { readonly limit: number; readonly window: number } };
}

export type ClientAuthDeps = Pick<Ports, 'clients' | 'replay' | 'clock' | 'events'> & {
  /** Counts failed authentications per (client_id, address); required for the penalty bucket. */
  readonly rateLimiter?: RateLimiter;
  readonly kek: Buffer;
  /** Earlier KEKs (during a KEK rotation): client_secret_jwt secrets sealed under them still open. */
  readonly kekPrevious?: readonly Buffer[];
  readonly tenantId: string;
  /** The app's one client-key cache, shared with request objects (RFC 9101); a private one if absent. */
  readonly jwks?: ClientJwksCache;
};

/** C0 controls and DEL: never part of a client_id (RFC 6749 Appendix A.1 VSCHAR). */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
/** Compared against when the client does not exist, so the timing does not tell. */
const DUMMY_HASH = sha256('gatehouse-no-such-client');

function methodFor(creds: Exclude<ClientCredentials, { kind: 'absent' | 'assertion' }>): ClientAuthMethod {
  return creds.kind === 'basic' ? 'client_secret_basic' : creds.kind === 'post' ? 'client_secret_post' : 'none';
}

/**
 * Client authentication at every endpoint that authenticates clients: token, PAR, introspection,
 * revocation, device authorization (RFC 6749 §2.3, RFC 7523 §2.2 / OIDC Core §9). The registered `token_endpoint_auth_method` is the only method a
 * client may use. Every failure is the same invalid_client on the wire (it never tells whether the
 * client exists); the reason goes to `client_auth.failed`.
 */
export function createClientAuthenticator(deps: ClientAuthDeps, config: ClientAuthConfig): ClientAuthenticator {
  const jwks = deps.jwks ?? new ClientJwksCache(config.clientAuth.jwksCacheTtl);
  const { clockSkew, assertionMaxAge, assertionMaxLifetime, strictAudience } = config.clientAuth;
  const limits = { maxAge: assertionMaxAge, maxLifetime: assertionMaxLifetime, clockSkew };
  const ring = kekRing(deps.kek, deps.kekPrevious ?? []);
  // The token endpoint's URL as routed (src/http/routes/token.ts) and advertised (RFC 8414
  // token_endpoint): RFC 7523 §3 and OIDC Core §9 name it as an audience, and RFC 9126 §2 lets
  // the PAR endpoint accept it, so clients send it to every endpoint that authenticates them.
  const issuerBase = config.issuer.replace(/\/$/, '');
  const tokenEndpoint = `${issuerBase}/token`;

  /**
   * The client a credential names. RFC 6749 Appendix A.1: a client_id is printable characters
   * (Gatehouse also takes non-ASCII ones); one with a control character names nobody, and is not
   * sent to the store (PostgreSQL refuses a NUL in a text value, which would be a 500).
   */
  const findClient = (clientId: string): Promise<Client | undefined> =>
    CONTROL_CHARACTER.test(clientId) ? Promise.resolve(undefined) : deps.clients.get(deps.tenantId, clientId);

  /** The same rules for every method: the client exists, is enabled and registered for `method`. */
  function check(client: Client | undefined, method: ClientAuthMethod): Client {
    if (!client) throw new AuthRefusal('unknown client');
    if (client.disabled) throw new AuthRefusal('client disabled');
    // A client registered for one method must not fall back to another (RFC 7591 §2
    // token_endpoint_auth_method is the "requested authentication method for the token endpoint").
    if (client.tokenEndpointAuthMethod !== method) throw new AuthRefusal(`client registered for ${client.tokenEndpointAuthMethod}, used ${method}`);
    return client;
  }

  function secretUsable(client: Client): void {
    const exp = client.secretExpiresAt;
    if (exp !== null && exp !== 0 && exp <= epochSeconds(deps.clock)) throw new AuthRefusal('client secret expired');
  }

  async function bySecret(clientId: string, secret: string, method: ClientAuthMethod): Promise<Client> {
    const found = await findClient(clientId);
    // Hash and compare even for an unknown client, so timing does not reveal which ids exist.
    const ok = safeEqual(sha256(secret), found?.secretHash ?? DUMMY_HASH);
    const client = check(found, method);
    if (!client.secretHash || !ok) throw new AuthRefusal('secret mismatch');
    secretUsable(client);
    return client;
  }

  async function byAssertion(creds: Extract<ClientCredentials, { kind: 'assertion' }>, endpoint: string): Promise<AuthenticatedClient> {
    const claimed = claimedClientId(creds.assertion);
    if (!claimed) throw new AuthRefusal('assertion has no sub/iss');
    // RFC 7521 §4.2: the client_id parameter, when sent, must identify the same client.
    if (creds.clientId !== undefined && creds.clientId !== claimed) throw new AuthRefusal('client_id does not match the assertion');
    const found = await findClient(claimed);
    const method = found?.tokenEndpointAuthMethod === 'client_secret_jwt' ? 'client_secret_jwt' : 'private_key_jwt';
    const client = check(found, method);
    if (method === 'client_secret_jwt') secretUsable(client);
    const { jti, exp } = await verifyClientAssertion({
      client,
      assertion: creds.assertion,
      issuer: config.issuer,
      compatibleAudiences: [tokenEndpoint, endpoint],
      strictAudience,
      nowMs: deps.clock.now(),
      limits,
      kek: ring,
      jwks,
    });
    // RFC 7523 §3: "The authorization server MAY ensure that JWTs are not replayed by maintaining
    // the set of used "jti" values for the length of time for which the JWT would be considered
    // valid". Spent only after the signature verified, so nobody can burn another client's jti;
    // kept until the assertion's own exp (+ skew, as long as it verifies), not a fixed TTL.
    if (!(await deps.replay.useOnce(`${deps.tenantId}:${client.clientId}:${jti}`, exp + clockSkew))) throw new AuthRefusal('assertion jti replayed');
    return { client, method };
  }

  const penalty = config.rateLimits?.enabled && config.rateLimits.clientAuthFailures.limit > 0 ? config.rateLimits.clientAuthFailures : null;
  const limiter = penalty ? deps.rateLimiter : undefined;
  /** The client_id a request names, whatever the method (null when it names none). */
  const namedClient = (creds: ClientCredentials): string | null =>
    creds.kind === 'absent' ? null : creds.kind === 'assertion' ? (creds.clientId ?? claimedClientId(creds.assertion) ?? null) : creds.clientId;
  const addressKeys = createAddressKeys();
  const penaltyPrefix = `cauth:${deps.tenantId}:`;
  const penaltyKey = (clientId: string, address: string) => `${penaltyPrefix}${addressKeys(address)}:${clientId.slice(0, 200)}`;

  return {
    async authenticate(creds, opts): Promise<AuthenticatedClient> {
      // The penalty bucket of (client_id, address): only failures fill it, so a full bucket shuts out
      // this address for this client_id, never the client itself from the addresses it really uses.
      // It is checked before any credential (a guess after the limit is not even evaluated).
      const named = limiter && opts.address !== undefined ? namedClient(creds) : null;
      const key = named !== null ? penaltyKey(named, opts.address!) : null;
      if (key !== null && (await limiter!.peek(key, penalty!.window)) >= penalty!.limit) {
        const retryAfter = (await limiter!.hit(key, penalty!.limit, penalty!.window)).retryAfter;
        // The route as the endpoint limits name it (`/token`): the endpoint URL without the issuer.
        const route = opts.endpoint.startsWith(issuerBase) ? opts.endpoint.slice(issuerBase.length) : opts.endpoint;
        deps.events.publish('rate_limit.hit', { tenantId: deps.tenantId, policy: 'client_auth.penalty', route, clientId: named!.slice(0, 200) });
        throw rateLimited({ policy: 'client_auth.penalty', limit: penalty!.limit, window: penalty!.window, retryAfter: Math.max(1, retryAfter) });
      }
      try {
        switch (creds.kind) {
          case 'absent':
            throw new AuthRefusal('no client authentication');
          case 'none':
            // Only grants that allow public clients accept method `none` (OAuth 2.1 §2.1).
            if (!opts.allowPublic) throw new AuthRefusal('public client not allowed here');
            return { client: check(await findClient(creds.clientId), 'none'), method: 'none' };
          case 'basic':
          case 'post':
            return { client: await bySecret(creds.clientId, creds.clientSecret, methodFor(creds)), method: methodFor(creds) };
          case 'assertion':
            return await byAssertion(creds, opts.endpoint);
        }
      } catch (e) {
        if (!(e instanceof AuthRefusal)) throw e;
        const clientId = namedClient(creds);
        if (key !== null) await limiter!.hit(key, penalty!.limit, penalty!.window);
        const method = creds.kind === 'absent' ? null : creds.kind === 'assertion' ? 'jwt_assertion' : methodFor(creds);
        deps.events.publish('client_auth.failed', { tenantId: deps.tenantId, clientId: clientId?.slice(0, 200) ?? null, method, reason: e.reason });
        // RFC 6749 §5.2: invalid_client with 401; "If the client attempted to authenticate via the
        // "Authorization" request header field, [...] include the "WWW-Authenticate" response
        // header field matching the authentication scheme used by the client" (Basic, the only
        // header scheme; other methods get the same header, as §5.2 permits).
        throw OAuthError.invalidClient('client authentication failed', e.reason, 'Basic');
      }
    },
  };
}
