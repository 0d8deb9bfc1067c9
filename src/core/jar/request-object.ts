import { compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import { ASYMMETRIC_ALGS } from '../client-auth/assertion-algorithms.ts';
import { checkAudience } from '../client-auth/assertion-audience.ts';
import { freshnessProblem, type FreshnessProblem } from '../client-auth/assertion-freshness.ts';
import { ClientJwksCache } from '../client-auth/client-jwks.ts';
import { JWT_TYPES, requestObjectTypeAccepted } from '../client-auth/explicit-typing.ts';
import { OAuthError } from '../errors.ts';
import type { Client } from '../model/client.ts';
import { oidcMetadata } from '../model/client-oidc.ts';
import type { Clock } from '../ports/clock.ts';
import { requestObjectParams } from './request-object-params.ts';

export interface RequestObjectConfig {
  readonly issuer: string;
  readonly authorization: { readonly allowUnsignedRequestObjects: boolean; readonly requestObjectMaxAge: number };
  readonly clientAuth: { readonly clockSkew: number; readonly jwksCacheTtl: number };
}

export interface RequestObjectDeps {
  readonly clock: Clock;
  /** The clients' keys (`jwks` / `jwks_uri`, cached): the same fetcher as private_key_jwt. */
  readonly jwks: ClientJwksCache;
}

export interface RequestObjectInput {
  /** The client named by the outer `client_id` (RFC 9101 §5: REQUIRED outside the object). */
  readonly client: Client;
  /** The `request` parameter: a compact JWS. */
  readonly request: string;
  /** The other parameters sent beside it (query, form or PAR body); only response_type is read. */
  readonly outer?: Readonly<Record<string, string>>;
}

/** Longest request object looked at (a URL or form carrying more is not a request we serve). */
const MAX_REQUEST_OBJECT_LENGTH = 65_536;

const invalid = (description: string, detail?: string) => OAuthError.of('invalid_request_object', description, detail);

/**
 * RFC 9101 §4–§6 (and OIDC Core §6.1): verifies a request object passed by value and returns the
 * authorization parameters to use, taken ONLY from inside the object, plus the outer `client_id`
 * (and the outer `response_type` when the object has none, as OIDC Core §6.1 requires it outside).
 * Every other outer parameter is ignored. Throws OAuthError `invalid_request_object`.
 *
 * Accepted: JWS signed with one of the client's registered keys (`jwks` or `jwks_uri`) using an
 * asymmetric algorithm, or exactly `request_object_signing_alg` when the client registered one;
 * `alg: none` only with `authorization.allowUnsignedRequestObjects`. Encrypted objects (JWE) are
 * not supported. Claims: `iss` = client_id, `aud` = the issuer as its only value, `exp` required
 * and at most `requestObjectMaxAge` ahead (and after `iat`), `iat` not older than that, `nbf` not
 * in the future, an inner `client_id` equal to the outer one.
 */
export async function resolveRequestObject(deps: RequestObjectDeps, config: RequestObjectConfig, input: RequestObjectInput): Promise<Record<string, string>> {
  const { client, request, outer = {} } = input;
  if (request.length > MAX_REQUEST_OBJECT_LENGTH) throw invalid('the request object is too large');
  const parts = request.split('.');
  // RFC 9101 §4: the object is a JWS, or a JWE (nested JWT). Decryption is not offered (and not
  // advertised), so an encrypted object cannot be read.
  if (parts.length === 5) throw invalid('encrypted request objects are not supported');
  if (parts.length !== 3) throw invalid('the request object is not a compact JWS');
  let alg: string;
  let typ: unknown;
  try {
    const header = decodeProtectedHeader(request);
    if (typeof header.alg !== 'string') throw new TypeError('no alg');
    ({ alg, typ } = header);
  } catch {
    throw invalid('the request object header cannot be read');
  }
  // RFC 9101 §10.8 / RFC 8725 §3.11: a JWT the client typed as another kind (an access token, a
  // client assertion, ...) is not a request object. Untyped objects stay accepted (compatibility).
  if (!requestObjectTypeAccepted(typ)) {
    throw invalid(`the request object typ must be ${JWT_TYPES.requestObject} when present`, `typ ${JSON.stringify(String(typ).slice(0, 40))}`);
  }
  const registered = oidcMetadata(client).requestObjectSigningAlg;
  const payload = alg === 'none' ? unsignedPayload(request, config, registered) : await verifiedPayload(deps, client, request, alg, registered);
  checkClaims(payload, client, config, Math.floor(deps.clock.now() / 1000), alg !== 'none');
  return requestObjectParams(payload, client.clientId, outer);
}

function unsignedPayload(request: string, config: RequestObjectConfig, registered: string | null): JWTPayload {
  // RFC 9101 §6.2 lets a server accept only signed request objects (RFC 8725 §3.1: never trust
  // `alg: none` by default); here that is the default, and a client that registered a signing
  // algorithm never gets an unsigned object accepted.
  if (!config.authorization.allowUnsignedRequestObjects) throw invalid('unsigned request objects are not accepted');
  if (registered !== null && registered !== 'none') throw invalid('the request object must be signed', `client registered ${registered}`);
  if (!request.endsWith('.')) throw invalid('an unsigned request object must have an empty signature');
  try {
    return decodeJwt(request);
  } catch {
    throw invalid('the request object payload is not a JSON object');
  }
}

async function verifiedPayload(deps: RequestObjectDeps, client: Client, request: string, alg: string, registered: string | null): Promise<JWTPayload> {
  // RFC 9101 §6.2: "Algorithm verification MUST be performed, as specified in Sections 3.1 and
  // 3.2 of [RFC8725]": the algorithm is pinned to the registered one, or to asymmetric ones.
  const algorithms: readonly string[] = registered !== null ? [registered] : ASYMMETRIC_ALGS;
  if (!algorithms.includes(alg)) throw invalid('the request object is signed with an algorithm this client may not use', `alg ${alg.slice(0, 20)}`);
  const getKey = deps.jwks.resolver(client);
  // RFC 9101 §6.2: "The Authorization Server MUST validate the signature of the JSON Web
  // Signature [RFC7515] signed Request Object" with a key associated with the client.
  if (!getKey) throw invalid('the client has no registered keys to verify the request object', `client ${client.clientId}`);
  let bytes: Uint8Array;
  try {
    ({ payload: bytes } = await compactVerify(request, getKey, { algorithms: [...algorithms] }));
  } catch (e) {
    // Also a jwks_uri that cannot be fetched in time: the object cannot be verified either way.
    throw invalid('the request object signature is invalid', e instanceof Error ? `${e.name}: ${e.message}` : undefined);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    payload = null;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw invalid('the request object payload is not a JSON object');
  return payload as JWTPayload;
}

/** The public description of each time-claim problem (RFC 9101 leaves the limits to the server). */
const FRESHNESS_ERRORS: Readonly<Record<FreshnessProblem, string>> = {
  'exp-missing': 'the request object must have an exp claim',
  expired: 'the request object has expired',
  'exp-too-far': 'the request object exp is too far in the future',
  'nbf-malformed': 'the request object is not valid yet',
  'not-yet-valid': 'the request object is not valid yet',
  'iat-malformed': 'the request object iat is in the future',
  'iat-in-future': 'the request object iat is in the future',
  'iat-too-old': 'the request object is too old',
  'lifetime-too-long': 'the request object lifetime is too long',
};

function checkClaims(p: JWTPayload, client: Client, config: RequestObjectConfig, now: number, signed: boolean): void {
  const { requestObjectMaxAge: maxAge } = config.authorization;
  // RFC 9101 §4: "If signed, the Authorization Request Object SHOULD contain the Claims "iss"
  // (issuer) and "aud" (audience) [...] The value of "aud" should be the value of the
  // authorization server (AS) "issuer"". Required here when signed; checked when present.
  if (signed || p.iss !== undefined) {
    if (p.iss !== client.clientId) throw invalid('the request object iss must be the client_id');
  }
  if (signed || p.aud !== undefined) {
    // The one audience rule for client-signed JWTs (assertion-audience.ts): a single value, and
    // here only the issuer. RFC 9101 names no other value (not the authorization endpoint URL),
    // so there is no compatible set to keep; a multi-valued aud is how audience injection looks.
    const audience = checkAudience(p.aud, { issuer: config.issuer, compatible: [], strict: 'RFC 9101 §4: aud is the issuer' });
    if (!audience.ok) {
      throw invalid(
        Array.isArray(p.aud) && p.aud.length > 1 ? 'the request object aud must be a single value' : 'the request object aud must be the issuer',
        audience.reason,
      );
    }
  }
  // A bounded lifetime keeps a captured object from being replayed for long (FAPI 2.0 Message
  // Signing requires `exp`; RFC 9101 leaves it to the server).
  const problem = freshnessProblem(p, now, { maxAge, maxLifetime: maxAge, clockSkew: config.clientAuth.clockSkew });
  if (problem !== null) throw invalid(FRESHNESS_ERRORS[problem]);
}

/**
 * Request objects for one app (one key cache). `resolveRequestObject(client, jwt)` is the shape
 * the authorization core plugs in (`RequestObjectResolver` in src/core/authorize/request-sources.ts);
 * `outer` adds the OIDC Core §6.1 response_type rule when the caller passes the outer parameters.
 */
export interface RequestObjects {
  resolveRequestObject(client: Client, jwt: string, outer?: Readonly<Record<string, string>>): Promise<Record<string, string>>;
}

export function createRequestObjects(
  deps: Pick<RequestObjectDeps, 'clock'> & Partial<Pick<RequestObjectDeps, 'jwks'>>,
  config: RequestObjectConfig,
): RequestObjects {
  const full: RequestObjectDeps = { clock: deps.clock, jwks: deps.jwks ?? new ClientJwksCache(config.clientAuth.jwksCacheTtl) };
  return { resolveRequestObject: (client, request, outer) => resolveRequestObject(full, config, { client, request, ...(outer ? { outer } : {}) }) };
}
