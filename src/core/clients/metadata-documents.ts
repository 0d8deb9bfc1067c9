import type { Client } from '../model/client.ts';
import type { TenantId } from '../model/tenant.ts';
import type { ClientStore } from '../ports/client-store.ts';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../json-depth.ts';
import type { Clock } from '../ports/clock.ts';
import { OutboundError, type OutboundHttp, type OutboundResponse } from '../ports/outbound-http.ts';
import { checkClientIdUrl, hostTrusted, isUrlClientId, MetadataDocumentError, type HostTrust } from './client-id-url.ts';
import { afterNotModified, conditionalHeaders, notModifiedSelects, storedTiming, type StoredTiming } from './http-cache.ts';
import { clientFromDocument, type MetadataDocumentPolicy } from './metadata-document-client.ts';

export interface MetadataDocumentsConfig extends MetadataDocumentPolicy {
  readonly clientIdMetadataDocuments: MetadataDocumentPolicy['clientIdMetadataDocuments'] &
    HostTrust & {
      readonly enabled: boolean;
      readonly cacheMaxEntries: number;
      readonly cacheMaxTtl: number;
      readonly cacheDefaultTtl: number;
    };
}

export interface MetadataDocumentsDeps {
  /** The guarded fetcher (S19): https, public addresses after resolution, no redirects, limits. */
  readonly http: OutboundHttp;
  readonly clock: Clock;
  /** Why a client id URL was refused, for the operator's log (never the wire). */
  readonly onRefused?: (clientId: string, error: MetadataDocumentError) => void;
}

export interface MetadataDocuments {
  /** The client a client_id URL names, or undefined (refused, unreachable, invalid: reported to `onRefused`). */
  resolve(tenantId: TenantId, clientId: string): Promise<Client | undefined>;
}

interface Entry {
  readonly client: Client;
  readonly timing: StoredTiming;
}

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

/**
 * Client ID Metadata Documents: a client_id that is an https URL is resolved by fetching it.
 * Fetched through the guarded fetcher only; kept in a bounded LRU cache that follows RFC 9111 as
 * a private cache (./http-cache.ts): reused while fresh, revalidated with a conditional GET when
 * stale or `no-cache`, never used stale (a failed revalidation refuses the client). One fetch per
 * URL at a time (concurrent lookups wait for it). Failures are not cached (the per-destination
 * breaker and the endpoints' rate limits bound the retries).
 */
export function createMetadataDocuments(deps: MetadataDocumentsDeps, config: MetadataDocumentsConfig): MetadataDocuments {
  const c = config.clientIdMetadataDocuments;
  const freshness = { heuristicSeconds: c.cacheDefaultTtl, maxSeconds: c.cacheMaxTtl };
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Client>>();

  const remember = (key: string, entry: Entry): void => {
    cache.delete(key);
    cache.set(key, entry);
    while (cache.size > c.cacheMaxEntries) cache.delete(cache.keys().next().value!);
  };

  async function get(url: URL, conditional: Record<string, string> | null): Promise<OutboundResponse> {
    try {
      return await deps.http.fetch(url.href, { purpose: 'client_metadata', method: 'GET', headers: { accept: 'application/json', ...conditional } });
    } catch (e) {
      if (e instanceof OutboundError) throw new MetadataDocumentError('fetch_failed', e.message);
      throw e;
    }
  }

  /** Fetches the document (conditionally when a stale entry has a validator) and caches the outcome. */
  async function load(tenantId: TenantId, clientId: string, key: string, stale: Entry | undefined): Promise<Client> {
    const url = checkClientIdUrl(clientId);
    if (!hostTrusted(url.hostname, c)) throw new MetadataDocumentError('host_not_trusted', `host ${url.hostname} is not trusted by clientIdMetadataDocuments`);
    const conditional = stale ? conditionalHeaders(stale.timing) : null;
    const requestTime = deps.clock.now();
    const res = await get(url, conditional);
    const responseTime = deps.clock.now();
    if (res.status === 304 && stale && conditional) {
      // A 304 for another representation than the stored one updates nothing: fetch it whole.
      if (!notModifiedSelects(stale.timing, res.headers)) return load(tenantId, clientId, key, undefined);
      // RFC 9111 §4.3.4: the stored response, its header fields (freshness) updated by the 304's.
      const timing = afterNotModified(stale.timing, res.headers, requestTime, responseTime, freshness);
      if (timing) remember(key, { client: stale.client, timing });
      else cache.delete(key);
      return stale.client;
    }
    if (res.status !== 200) throw new MetadataDocumentError('fetch_failed', `status ${res.status}`);
    if (!JSON_TYPE.test(res.headers['content-type'] ?? '')) throw new MetadataDocumentError('not_json', 'content-type is not application/json');
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(res.body));
    } catch {
      throw new MetadataDocumentError('not_json', 'the body is not JSON');
    }
    // Bounded before anything walks it (src/core/json-depth.ts): deep nesting parses but overflows later.
    if (jsonTooDeep(doc)) throw new MetadataDocumentError('invalid_metadata', `the document nests deeper than ${MAX_JSON_DEPTH} levels`);
    // A new document is validated again, whatever was stored before.
    const client = clientFromDocument(tenantId, url, doc, config, Math.floor(responseTime / 1000));
    const timing = storedTiming(res.headers, requestTime, responseTime, freshness);
    if (timing) remember(key, { client, timing });
    else cache.delete(key);
    return client;
  }

  return {
    async resolve(tenantId, clientId) {
      if (!c.enabled) {
        deps.onRefused?.(clientId, new MetadataDocumentError('disabled', 'clientIdMetadataDocuments.enabled is false'));
        return undefined;
      }
      const key = `${tenantId} ${clientId}`;
      const hit = cache.get(key);
      // RFC 9111 §4.2: a fresh stored response is reused without contacting the origin.
      if (hit && hit.timing.freshUntil > deps.clock.now()) {
        remember(key, hit); // most recently used
        return hit.client;
      }
      let pending = inFlight.get(key);
      if (!pending) {
        // Stale (or no-cache): RFC 9111 §4.3 validation; without success it is never used.
        pending = load(tenantId, clientId, key, hit)
          .catch((e: unknown) => {
            cache.delete(key);
            throw e;
          })
          .finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      try {
        return await pending;
      } catch (e) {
        if (!(e instanceof MetadataDocumentError)) throw e;
        deps.onRefused?.(clientId, e);
        return undefined;
      }
    },
  };
}

/**
 * The client store as every endpoint sees it: a client_id that is a URL is never looked up in
 * the store (no registered client has one) but resolved from its metadata document; everything
 * else, and every write, goes to the store unchanged.
 */
export function withMetadataDocuments(store: ClientStore, documents: MetadataDocuments): ClientStore {
  return {
    create: (client) => store.create(client),
    get: (tenantId, clientId) => (isUrlClientId(clientId) ? documents.resolve(tenantId, clientId) : store.get(tenantId, clientId)),
    page: (tenantId, q) => store.page(tenantId, q),
    update: (tenantId, clientId, patch) => store.update(tenantId, clientId, patch),
    resealSecret: (tenantId, clientId, expected, sealed) => store.resealSecret(tenantId, clientId, expected, sealed),
    delete: (tenantId, clientId) => store.delete(tenantId, clientId),
  };
}
