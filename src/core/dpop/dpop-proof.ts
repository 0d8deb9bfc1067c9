import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { safeEqual, sha256 } from '../crypto.ts';
import { OAuthError } from '../errors.ts';
import type { TenantId } from '../model/tenant.ts';
import type { Clock } from '../ports/clock.ts';
import type { ReplayCache } from '../ports/replay-cache.ts';
import type { DpopNonces } from './dpop-nonce.ts';
import { normalizeHtu } from './htu.ts';

/** RFC 9449 §4.2: "typ: A field with the value dpop+jwt". */
export const DPOP_JWT_TYP = 'dpop+jwt';

/** The asymmetric JWS algorithms a proof may be signed with (the config's allow-list is a subset). */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'] as const;
export type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number];

export interface DpopConfig {
  readonly dpop: {
    /** `dpop_signing_alg_values_supported` (RFC 9449 §5.1). */
    readonly algorithms: readonly DpopAlgorithm[];
    /** Oldest accepted `iat`, seconds before now (beyond `clockSkew`). */
    readonly proofMaxAge: number;
    /** Tolerated clock difference for `iat`, both ways. */
    readonly clockSkew: number;
    /** Every proof must carry a server nonce (RFC 9449 §8, §9). */
    readonly requireNonce: boolean;
  };
}

export interface DpopDeps {
  /** The replay cache every instance shares (Redis in front of the store, or the store alone). */
  readonly replay: Pick<ReplayCache, 'useOnce'>;
  readonly clock: Clock;
  readonly nonces: DpopNonces;
  readonly tenantId: TenantId;
}

/** One request as the proof must match it. */
export interface DpopRequest {
  /** The `DPoP` header(s) of the request (Fastify gives an array when it was repeated). */
  readonly proof: string | readonly string[] | undefined;
  /** RFC 9449 §4.2 `htm`: the request's method. */
  readonly method: string;
  /** RFC 9449 §4.2 `htu`: the request's absolute URI as the client addressed it (query ignored). */
  readonly url: string;
  /** At a protected resource: the access token, whose hash `ath` must carry (RFC 9449 §4.2). */
  readonly accessToken?: string;
}

interface Checked {
  readonly proof: VerifiedDpopProof;
  readonly replayKey: string;
  readonly until: number;
}

export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: what `cnf.jkt` binds to (RFC 9449 §6.1). */
  readonly jkt: string;
  /** A nonce to send back in `DPoP-Nonce`: the proof carried the previous window's (null otherwise). */
  readonly nextNonce: string | null;
}

export interface DpopVerifier {
  readonly algorithms: readonly string[];
  readonly nonceRequired: boolean;
  /** The nonce to hand out now (`DPoP-Nonce`). */
  currentNonce(): string;
  /**
   * Checks a proof (RFC 9449 §4.3) and spends its `jti` in the shared replay cache. Throws
   * `invalid_dpop_proof`, or `use_dpop_nonce` carrying a `dpop-nonce` header (status 400: a
   * resource turns both into 401 challenges).
   */
  verify(request: DpopRequest): Promise<VerifiedDpopProof>;
  /**
   * At a protected resource: checks the proof, runs `checkToken` with it (the access token's own
   * checks and its binding), and only then spends the `jti`. A request whose token is refused
   * spends nothing, so nobody without a valid token can fill the replay cache (RFC 9449 §11.1
   * keeps every accepted proof's `jti` for its whole window).
   */
  verifyThen<T>(request: DpopRequest & { readonly accessToken: string }, checkToken: (proof: VerifiedDpopProof) => Promise<T>): Promise<T>;
}

/** JWK members of private or symmetric keys (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;
const KEY_CACHE_SIZE = 1024;

export const invalidDpopProof = (description: string, detail?: string) => new OAuthError('invalid_dpop_proof', description, { detail });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface ImportedKey {
  readonly key: Awaited<ReturnType<typeof importJWK>>;
  readonly jkt: string;
}

/**
 * DPoP proof verification (RFC 9449 §4.3), the server side of RFC 9449 shared by the token
 * endpoint, PAR, UserInfo and the resource-server kit. Nothing here runs for a request without a
 * `DPoP` header: callers ask only when one was sent (or a bound token demands it).
 */
export function createDpopVerifier(deps: DpopDeps, config: DpopConfig): DpopVerifier {
  const { algorithms, proofMaxAge, clockSkew, requireNonce } = config.dpop;
  const allowed: ReadonlySet<string> = new Set(algorithms);
  // Imported public keys and their thumbprints by the JWK's JSON: a client sends the same key on
  // every request, so the import and the thumbprint are done once per key, not per proof.
  const keys = new Map<string, ImportedKey>();
  const importKey = async (jwk: JWK, alg: string): Promise<ImportedKey> => {
    const id = `${alg}.${JSON.stringify(jwk)}`;
    const hit = keys.get(id);
    if (hit) return hit;
    const imported = { key: await importJWK(jwk, alg), jkt: await calculateJwkThumbprint(jwk, 'sha256') };
    if (keys.size >= KEY_CACHE_SIZE) keys.delete(keys.keys().next().value!);
    keys.set(id, imported);
    return imported;
  };
  const nonceError = (description: string) => new OAuthError('use_dpop_nonce', description, { headers: { 'dpop-nonce': deps.nonces.current() } });

  /** Every check of RFC 9449 §4.3 but the replay one; returns what spending the `jti` needs. */
  const check = async (request: DpopRequest): Promise<Checked> => {
    // RFC 9449 §4.3 (1): "There is not more than one DPoP HTTP request header field." Node joins
    // a repeated header into one value with ", ", which a JWT never contains.
    if (typeof request.proof !== 'string' || request.proof.includes(',')) {
      throw invalidDpopProof(request.proof === undefined ? 'a DPoP proof is required' : 'more than one DPoP header');
    }
    const proof = request.proof;
    if (proof.length > MAX_PROOF_LENGTH) throw invalidDpopProof('the DPoP proof is too large');
    // (2) "The DPoP HTTP request header field value is a single and well-formed JWT."
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      throw invalidDpopProof('the DPoP proof is not a JWT');
    }
    if (proof.split('.').length !== 3) throw invalidDpopProof('the DPoP proof is not a signed JWT');
    // (4) "The typ JOSE Header Parameter has the value dpop+jwt."
    if (header.typ !== DPOP_JWT_TYP) throw invalidDpopProof('the DPoP proof typ must be dpop+jwt');
    // (5) "The alg JOSE Header Parameter indicates a registered asymmetric digital signature
    // algorithm [IANA.JOSE.ALGS], is not none, is supported by the application, and is
    // acceptable per local policy."
    const alg = header.alg;
    if (typeof alg !== 'string' || !allowed.has(alg)) throw invalidDpopProof(`the DPoP proof alg must be one of ${algorithms.join(', ')}`);
    const jwk = header.jwk;
    if (!isObject(jwk) || typeof jwk.kty !== 'string') throw invalidDpopProof('the DPoP proof needs a jwk header');
    // (7) "The public key contained in the jwk JOSE Header Parameter does not contain a
    // private key" (RFC 9449 §4.2: "MUST NOT contain a private key").
    if (jwk.kty === 'oct' || PRIVATE_MEMBERS.some((m) => m in jwk)) throw invalidDpopProof('the DPoP proof jwk must be a public key');
    // (6) "The JWT signature verifies with the public key contained in the jwk JOSE Header Parameter."
    let imported: ImportedKey;
    let payload: unknown;
    try {
      imported = await importKey(jwk as JWK, alg);
      const verified = await compactVerify(proof, imported.key, { algorithms: [alg] });
      payload = JSON.parse(new TextDecoder().decode(verified.payload));
    } catch (e) {
      throw invalidDpopProof('the DPoP proof signature does not verify with its jwk', e instanceof Error ? e.message : undefined);
    }
    // (3) "All required claims per Section 4.2 are contained in the JWT."
    if (!isObject(payload)) throw invalidDpopProof('the DPoP proof payload is not a JSON object');
    const { jti, htm, htu, iat } = payload;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) throw invalidDpopProof('the DPoP proof needs a jti');
    if (typeof htm !== 'string' || typeof htu !== 'string') throw invalidDpopProof('the DPoP proof needs htm and htu');
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalidDpopProof('the DPoP proof needs a numeric iat');
    // (8) "The htm claim matches the HTTP method of the current request."
    if (htm !== request.method) throw invalidDpopProof('the DPoP proof htm does not match the request method');
    // (9) "The htu claim matches the HTTP URI value for the HTTP request in which the JWT was
    // received, ignoring any query and fragment parts."
    const expected = normalizeHtu(request.url);
    if (expected === null || normalizeHtu(htu) !== expected) throw invalidDpopProof('the DPoP proof htu does not match the request URI');
    // (10) "If the server provided a nonce value to the client, the nonce claim matches the
    // server-provided nonce value." §8: use_dpop_nonce carries the nonce to use. Checked before
    // iat: a client whose nonce expired gets the error it can act on (a fresh nonce).
    let nextNonce: string | null = null;
    if (requireNonce) {
      if (typeof payload.nonce !== 'string') throw nonceError('the DPoP proof must carry the server nonce');
      const state = deps.nonces.check(payload.nonce);
      if (state === 'invalid') throw nonceError('the DPoP nonce is invalid or expired');
      if (state === 'previous') nextNonce = deps.nonces.current();
    }
    // (11) "The creation time of the JWT, as determined by either the iat claim or a
    // server-managed timestamp via the nonce claim, is within an acceptable window (see Section 11.1)."
    const now = deps.clock.now() / 1000;
    if (iat > now + clockSkew) throw invalidDpopProof('the DPoP proof iat is in the future');
    if (iat < now - proofMaxAge - clockSkew) throw invalidDpopProof('the DPoP proof is too old');
    // (12) "If presented to a protected resource in conjunction with an access token, ensure
    // that the value of the ath claim equals the hash of that access token".
    if (request.accessToken !== undefined) {
      if (typeof payload.ath !== 'string' || !safeEqual(payload.ath, sha256(request.accessToken))) {
        throw invalidDpopProof('the DPoP proof ath does not match the access token');
      }
    }
    // RFC 9449 §11.1: "the server MUST store, in the context of the target URI, the jti value
    // of each DPoP proof for the time window in which the respective DPoP proof JWT would be
    // accepted" — in the replay cache every instance shares; the entry lives until the proof
    // could no longer pass the iat check above.
    const until = Math.ceil(iat + proofMaxAge + clockSkew);
    return { proof: { jkt: imported.jkt, nextNonce }, replayKey: `${deps.tenantId}#dpop:${imported.jkt}:${jti}`, until };
  };
  const spend = async ({ proof, replayKey, until }: Checked): Promise<VerifiedDpopProof> => {
    if (!(await deps.replay.useOnce(replayKey, until))) throw invalidDpopProof('the DPoP proof was already used', `dpop jti replayed for key ${proof.jkt}`);
    return proof;
  };

  return {
    algorithms,
    nonceRequired: requireNonce,
    currentNonce: () => deps.nonces.current(),
    async verify(request) {
      return spend(await check(request));
    },
    async verifyThen(request, checkToken) {
      const checked = await check(request);
      const result = await checkToken(checked.proof);
      await spend(checked);
      return result;
    },
  };
}
