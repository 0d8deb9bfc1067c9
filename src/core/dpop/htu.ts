/** RFC 3986 §2.3 unreserved characters: a percent-encoded one means the character itself (§6.2.2.2). */
const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * The form of an HTTP URI that a DPoP `htu` is compared in (RFC 9449 §4.3: "the htu claim
 * matches the HTTP URI value for the HTTP request in which the JWT was received, ignoring any
 * query and fragment parts"; comparison after syntax-based and scheme-based normalisation,
 * RFC 3986 §6.2.2 and §6.2.3): lower-case scheme and host, no default port, dot segments
 * removed, an empty path as `/`, percent-encodings upper-case with unreserved characters decoded.
 * Null for anything that is not an absolute http(s) URI.
 */
export function normalizeHtu(value: string): string | null {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  const path = u.pathname.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const ch = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
  return `${u.protocol}//${u.host}${path || '/'}`;
}
