/**
 * Client identifier URLs (draft-ietf-oauth-client-id-metadata-document §3) and the host policy
 * (`clientIdMetadataDocuments.trust`, `allowHosts`, `denyHosts`). Pure: no fetching here.
 */

/** Longest client_id this server looks up (check-client's limit; columns are 255 wide). */
export const MAX_CLIENT_ID_URL_LENGTH = 255;

/** Why a client id URL (or the document behind it) was refused: logs and events only. */
export type MetadataDocumentRefusal =
  | 'disabled'
  | 'invalid_url'
  | 'host_not_trusted'
  | 'fetch_failed'
  | 'not_json'
  | 'client_id_mismatch'
  | 'confidential'
  | 'invalid_metadata'
  | 'redirect_uri_not_allowed';

export class MetadataDocumentError extends Error {
  readonly reason: MetadataDocumentRefusal;
  constructor(reason: MetadataDocumentRefusal, detail: string) {
    super(`${reason}: ${detail}`);
    this.name = 'MetadataDocumentError';
    this.reason = reason;
  }
}

/** A client_id that names a URL (any case of the scheme), so it is never looked up in the store. */
export function isUrlClientId(clientId: string): boolean {
  return /^https?:\/\//i.test(clientId);
}

/**
 * The draft's §3 rules for a client identifier URL: "Client identifier URLs MUST have an "https"
 * scheme, MUST contain a path component, MUST NOT contain single-dot or double-dot path segments,
 * MUST NOT contain a fragment component and MUST NOT contain a username or password component"
 * (the authority's userinfo only: RFC 3986 §3.3 allows "@" in a path).
 * Also refused here: a query (the draft says SHOULD NOT), an explicit port 0, anything the URL
 * parser would rewrite (the identifier is compared as a string, so it must already be normal).
 */
export function checkClientIdUrl(clientId: string): URL {
  const fail = (why: string) => new MetadataDocumentError('invalid_url', why);
  if (clientId.length > MAX_CLIENT_ID_URL_LENGTH) throw fail(`longer than ${MAX_CLIENT_ID_URL_LENGTH} characters`);
  if (!clientId.startsWith('https://')) throw fail('not an https URL');
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw fail('not a URL');
  }
  // Only the authority may carry userinfo: RFC 3986 §3.3 allows "@" in a path (`/@alice/client.json`).
  // An empty userinfo (`https://@host/`) parses to no username, so the authority is read as written.
  const authority = clientId.slice('https://'.length).split(/[/?#]/, 1)[0]!;
  if (url.username || url.password || authority.includes('@')) throw fail('carries a username or password');
  if (clientId.includes('#')) throw fail('carries a fragment');
  if (clientId.includes('?')) throw fail('carries a query');
  if (url.port === '0') throw fail('port 0');
  // `evil.example.` is the fully qualified form of `evil.example`: the same host (DNS and TLS drop
  // the final dot) under a second identifier, so only the form without it is a client_id.
  if (url.hostname.endsWith('.')) throw fail('host ends with a dot (not in normal form)');
  // The WHATWG parser removes `.` and `..` segments (also as %2e) and adds the `/` of an empty
  // path, so a URL that had either no longer reads back the same.
  if (url.pathname === '/') throw fail('has no path component');
  if (url.href !== clientId) throw fail(/\/(\.|%2e){1,2}(\/|$)/i.test(clientId) ? 'has a dot path segment' : 'not in normal form');
  return url;
}

/**
 * A host as the lists compare it: lower case, without IPv6 brackets, without a final dot
 * (`evil.example.` and `evil.example` are one host to DNS and TLS), so an entry holds however the
 * host is written, in the URL or in the configuration.
 */
export function comparableHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.+$/, '');
}

/** `example.com` matches that name only; `*.example.com` every subdomain of it (not the name itself). */
export function hostMatches(host: string, patterns: readonly string[]): boolean {
  const h = comparableHost(host);
  return patterns.some((p) => {
    const q = comparableHost(p);
    return q.startsWith('*.') ? h.endsWith(q.slice(1)) && h.length > q.length - 1 : h === q;
  });
}

export interface HostTrust {
  readonly trust: 'any-with-consent' | 'allow-list';
  readonly allowHosts: readonly string[];
  readonly denyHosts: readonly string[];
}

/** Whether clients on `host` are accepted at all; `denyHosts` wins over everything. */
export function hostTrusted(host: string, policy: HostTrust): boolean {
  if (hostMatches(host, policy.denyHosts)) return false;
  return policy.trust === 'any-with-consent' || hostMatches(host, policy.allowHosts);
}
