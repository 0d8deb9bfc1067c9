import type { SigningAlg } from '../model/key.ts';

export interface JsonWebKeySet {
  readonly keys: readonly Readonly<Record<string, unknown>>[];
}

/** Signs compact JWS with the active key of one algorithm (node:crypto, not WebCrypto: speed). */
export interface JwtSigner {
  readonly kid: string;
  readonly alg: SigningAlg;
  /** Returns a compact JWS: header {alg, kid, typ} + payload. */
  sign(payload: Readonly<Record<string, unknown>>, typ?: string): string;
  /**
   * The same JWS; RS256/PS256/ES256 signatures are computed on the libuv thread pool instead of
   * the event loop, so other requests proceed meanwhile (EdDSA stays inline: not measured).
   */
  signAsync(payload: Readonly<Record<string, unknown>>, typ?: string): Promise<string>;
}

export interface VerifiedJwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

/**
 * The server's own signing keys as the core sees them. Implemented by KeyManager (core/keys),
 * which loads keys from the KeyStore, decrypts them with the KEK and refreshes periodically.
 */
export interface KeyRing {
  /** The signer for the currently active key of `alg`. Throws GatehouseError GH_KEYS_NOT_LOADED. */
  signer(alg: SigningAlg): JwtSigner;
  /** Public JWKS: active, next and not-yet-expired retired keys. Same object until keys change. */
  jwks(): JsonWebKeySet;
  /**
   * Verifies a JWT that this server signed (any key still published). Checks the signature only
   * (not exp/iss/aud: the caller decides). Returns null when malformed or the signature is bad.
   */
  verify(token: string): VerifiedJwt | null;
  /** {@link verify} with the signature checked on the libuv thread pool (RS256, PS256, ES256): for request paths. */
  verifyAsync(token: string): Promise<VerifiedJwt | null>;
  /** True once keys for every configured algorithm are loaded. */
  readonly ready: boolean;
}
