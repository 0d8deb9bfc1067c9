import type { Client } from '../model/client.ts';
import type { TenantId } from '../model/tenant.ts';
import type { ClientStore } from '../ports/client-store.ts';
import type { Clock } from '../ports/clock.ts';
import { OutboundError, type OutboundHttp } from '../ports/outbound-http.ts';
import { checkClientIdUrl, hostTrusted, isUrlClientId, MetadataDocumentError, type HostTrust } from './client-id-url.ts';
import { clientFromDocument, type MetadataDocumentPolicy } from './metadata-document-client.ts';

export interface MetadataDocumentsConfig extends MetadataDocumentPolicy {
  readonly clientIdMetadataDocuments: MetadataDocumentPolicy['clientIdMetadataDocuments'] &
    HostTrust & {
      readonly enabled: boolean;
      readonly cacheMaxEntries: number;
      readonly cacheMinTtl: number;
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

/**
 * Seconds a response may be kept (RFC 9111 §5.2.2): null for `no-store` (never stored);
 * `no-cache` (stored, but to be revalidated before every use; we do not revalidate) and
 * `max-age=0` keep it for the minimum only; `max-age=N` within [min, max]; no freshness
 * information: the default, within [min, max].
 */
export function cacheSeconds(cacheControl: string | undefined, c: { cacheMinTtl: number; cacheMaxTtl: number; cacheDefaultTtl: number }): number | null {
  const clamp = (n: number) => Math.min(Math.max(n, c.cacheMinTtl), c.cacheMaxTtl);
  const directives = (cacheControl ?? '')
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.includes('no-store')) return null;
  if (directives.includes('no-cache')) return c.cacheMinTtl;
  for (const d of directives) {
    const m = /^max-age\s*=\s*"?(\d{1,10})"?$/.exec(d);
    if (m) return clamp(Number(m[1]));
  }
  return clamp(c.cacheDefaultTtl);
}

export interface MetadataDocuments {
  /** The client a client_id URL names, or undefined (refused, unreachable, invalid: reported to `onRefused`). */
  resolve(tenantId: TenantId, clientId: string): Promise<Client | undefined>;
}

interface Entry {
  readonly client: Client;
  readonly expiresAt: number;
}

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

/**
 * Client ID Metadata Documents: a client_id that is an https URL is resolved by fetching it.
 * Fetched through the guarded fetcher only; kept in a bounded LRU cache that follows the
 * response's Cache-Control within the configured bounds; one fetch per URL at a time (concurrent
 * lookups wait for it). Failures are not cached (the per-destination breaker and the endpoints'
 * rate limits bound the retries).
 */
export function createMetadataDocuments(deps: MetadataDocumentsDeps, config: MetadataDocumentsConfig): MetadataDocuments {
  const c = config.clientIdMetadataDocuments;
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Client>>();

  const remember = (key: string, entry: Entry): void => {
    cache.delete(key);
    cache.set(key, entry);
    while (cache.size > c.cacheMaxEntries) cache.delete(cache.keys().next().value!);
  };

  async function fetchClient(tenantId: TenantId, clientId: string, key: string): Promise<Client> {
    const url = checkClientIdUrl(clientId);
    if (!hostTrusted(url.hostname, c)) throw new MetadataDocumentError('host_not_trusted', `host ${url.hostname} is not trusted by clientIdMetadataDocuments`);
    let res: Awaited<ReturnType<OutboundHttp['fetch']>>;
    try {
      res = await deps.http.fetch(url.href, { purpose: 'client_metadata', method: 'GET', headers: { accept: 'application/json' } });
    } catch (e) {
      if (e instanceof OutboundError) throw new MetadataDocumentError('fetch_failed', e.message);
      throw e;
    }
    if (res.status !== 200) throw new MetadataDocumentError('fetch_failed', `status ${res.status}`);
    if (!JSON_TYPE.test(res.headers['content-type'] ?? '')) throw new MetadataDocumentError('not_json', 'content-type is not application/json');
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(res.body));
    } catch {
      throw new MetadataDocumentError('not_json', 'the body is not JSON');
    }
    const now = deps.clock.now();
    const client = clientFromDocument(tenantId, url, doc, config, Math.floor(now / 1000));
    const ttl = cacheSeconds(res.headers['cache-control'], c);
    if (ttl !== null && ttl > 0) remember(key, { client, expiresAt: now + ttl * 1000 });
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
      if (hit && hit.expiresAt > deps.clock.now()) {
        remember(key, hit); // most recently used
        return hit.client;
      }
      if (hit) cache.delete(key);
      let pending = inFlight.get(key);
      if (!pending) {
        pending = fetchClient(tenantId, clientId, key).finally(() => inFlight.delete(key));
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
