/**
 * Adds an already-encoded query (`a=1&b=2`) to a URI whose own query must be kept exactly as
 * registered (RFC 6749 §3.1.2: it "MUST be retained when adding additional query parameters"):
 * `?` when it has none, nothing after a trailing `?` or `&`, else `&`. A fragment is dropped, or
 * kept last with `keepFragment`.
 */
export function appendQuery(uri: string, encodedQuery: string, opts: { readonly keepFragment?: boolean } = {}): string {
  const hash = uri.indexOf('#');
  const base = hash === -1 ? uri : uri.slice(0, hash);
  const fragment = opts.keepFragment && hash !== -1 ? uri.slice(hash) : '';
  const sep = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${sep}${encodedQuery}${fragment}`;
}
