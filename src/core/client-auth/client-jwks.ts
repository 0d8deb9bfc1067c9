import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import type { Client } from '../model/client.ts';

/** Upper bound on a client `jwks_uri` fetch, so a slow client cannot hold a token request. */
export const JWKS_FETCH_TIMEOUT_MS = 5_000;
const MAX_ENTRIES = 1_000;

/**
 * RFC 9864 made `Ed25519` the fully-specified name of what RFC 8037 calls `EdDSA` with an Ed25519
 * key; clients (oauth4webapi) sign with one while their JWK may declare the other. Either header
 * finds the key; the algorithm pin still decides what is accepted.
 */
function withEdDsaAliases(getKey: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await getKey(header, token);
    } catch (e) {
      const other = header.alg === 'Ed25519' ? 'EdDSA' : header.alg === 'EdDSA' ? 'Ed25519' : null;
      if (other === null || (e as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw e;
      return getKey({ ...header, alg: other }, token);
    }
  };
}

interface Entry {
  readonly source: string;
  readonly getKey: JWTVerifyGetKey;
}

/**
 * Key resolvers for private_key_jwt, one per client: a local set for registered `jwks`, a remote
 * set for `jwks_uri` (jose caches the document for `ttlSeconds`, refetches on an unknown kid after a
 * cooldown, and aborts a fetch after JWKS_FETCH_TIMEOUT_MS). A changed registration replaces it.
 */
export class ClientJwksCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;

  constructor(ttlSeconds: number) {
    this.#ttlMs = ttlSeconds * 1000;
  }

  /** The resolver for this client's keys, or null when it registered none. */
  resolver(client: Pick<Client, 'tenantId' | 'clientId' | 'jwks' | 'jwksUri'>): JWTVerifyGetKey | null {
    const source = client.jwks ? JSON.stringify(client.jwks) : client.jwksUri ? `uri:${client.jwksUri}` : null;
    if (source === null) return null;
    const key = `${client.tenantId}:${client.clientId}`;
    const hit = this.#entries.get(key);
    if (hit && hit.source === source) return hit.getKey;
    const getKey = withEdDsaAliases(client.jwks
      ? createLocalJWKSet({ keys: client.jwks.keys.map((k) => ({ ...k })) })
      : createRemoteJWKSet(new URL(client.jwksUri!), {
        timeoutDuration: JWKS_FETCH_TIMEOUT_MS,
        cacheMaxAge: this.#ttlMs,
        cooldownDuration: Math.min(30_000, this.#ttlMs),
      }));
    this.#entries.delete(key);
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { source, getKey });
    return getKey;
  }
}
