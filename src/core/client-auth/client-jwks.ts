import { createLocalJWKSet, createRemoteJWKSet, customFetch, type FetchImplementation, type JWTVerifyGetKey } from 'jose';
import { OAuthError } from '../errors.ts';
import type { Client } from '../model/client.ts';
import { OutboundError, type OutboundHttp } from '../ports/outbound-http.ts';
import { checkJwks } from '../registration/client-keys.ts';

const MAX_ENTRIES = 1_000;

/**
 * jose's fetch for a client's `jwks_uri`, through the guarded fetcher (S19): the address checks,
 * https, no redirects and the time and byte limits (`outbound.*`) are the fetcher's. The document
 * then meets the same rules as a registered `jwks` (public RSA/EC/OKP keys, count and size limits),
 * so a client cannot get past them by hosting its keys. jose's own timeout signal is not passed
 * on: `outbound.timeoutMs` is the one limit.
 */
function guardedJwksFetch(http: OutboundHttp): FetchImplementation {
  return async (url, { headers }) => {
    const res = await http.fetch(url, { purpose: 'client_jwks', method: 'GET', headers: Object.fromEntries(headers) });
    if (res.status !== 200) throw new OutboundError('http_status', `status ${res.status}`);
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder().decode(res.body));
    } catch {
      throw new Error('jwks_uri document is not JSON');
    }
    try {
      return Response.json(checkJwks(doc));
    } catch (e) {
      throw new Error(`jwks_uri document refused: ${e instanceof OAuthError ? e.description : 'invalid'}`);
    }
  };
}

const noFetcher: JWTVerifyGetKey = () => {
  throw new Error('jwks_uri cannot be fetched: no outbound fetcher configured');
};

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
 * set for `jwks_uri` (jose caches the document for `ttlSeconds` and refetches on an unknown kid
 * after a cooldown; every fetch goes through `http`, the guarded fetcher). Without `http` a
 * `jwks_uri` is never fetched: its client cannot authenticate. A changed registration replaces it.
 */
export class ClientJwksCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #fetch: FetchImplementation | null;

  constructor(ttlSeconds: number, http?: OutboundHttp) {
    this.#ttlMs = ttlSeconds * 1000;
    this.#fetch = http ? guardedJwksFetch(http) : null;
  }

  /** The resolver for this client's keys, or null when it registered none. */
  resolver(client: Pick<Client, 'tenantId' | 'clientId' | 'jwks' | 'jwksUri'>): JWTVerifyGetKey | null {
    const source = client.jwks ? JSON.stringify(client.jwks) : client.jwksUri ? `uri:${client.jwksUri}` : null;
    if (source === null) return null;
    const key = `${client.tenantId}:${client.clientId}`;
    const hit = this.#entries.get(key);
    if (hit && hit.source === source) return hit.getKey;
    const getKey = withEdDsaAliases(
      client.jwks
        ? createLocalJWKSet({ keys: client.jwks.keys.map((k) => ({ ...k })) })
        : this.#fetch === null
          ? noFetcher
          : createRemoteJWKSet(new URL(client.jwksUri!), {
              cacheMaxAge: this.#ttlMs,
              cooldownDuration: Math.min(30_000, this.#ttlMs),
              [customFetch]: this.#fetch,
            }),
    );
    this.#entries.delete(key);
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { source, getKey });
    return getKey;
  }
}
