/**
 * `WWW-Authenticate` challenges (RFC 9110 §11.6.1; RFC 6750 §3 for Bearer, RFC 6749 §5.2 for the
 * client authentication schemes). Every challenge Gatehouse sends is built here, and every
 * auth-param value passes through `authParamValue`, so no text (a description that quotes a
 * parameter, a scope) can end the quoted string or the header line.
 */

/** The schemes Gatehouse challenges with (`DPoP`: RFC 9449 §7.1). */
export type ChallengeScheme = 'Bearer' | 'Basic' | 'DPoP';

/** The auth-params Gatehouse sends (RFC 6750 §3, RFC 9110 §11.6.1 realm). */
/** `resource_metadata`: RFC 9728 §5.1, the URL of the protected resource's metadata. */
/** `algs`: RFC 9449 §7.1, the JWS algorithms the resource accepts for DPoP proofs. */
export type ChallengeParam = 'realm' | 'error' | 'error_description' | 'error_uri' | 'scope' | 'resource_metadata' | 'algs';

/**
 * RFC 6750 §3: "Values for the "error" and "error_description" attributes MUST NOT include
 * characters outside the set %x20-21 / %x23-5B / %x5D-7E" (printable ASCII without `"` and `\`);
 * `scope` (§3) and `realm` are narrower or equal in practice, so one set serves every value.
 */
const ALLOWED = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

/**
 * The content of a quoted auth-param value: characters outside the RFC 6750 §3 set are replaced
 * (`"` by `'`, tab, CR and LF by a space, anything else — `\`, other controls, non-ASCII — by
 * `?`). Replacing, not escaping: a quoted-pair (`\"`) is outside the set, and a client reading
 * the value needs no unescaping.
 */
export function authParamValue(value: string): string {
  if (ALLOWED.test(value)) return value;
  let out = '';
  for (const ch of value) {
    if (ALLOWED.test(ch)) out += ch;
    else if (ch === '"') out += "'";
    else if (ch === '\t' || ch === '\r' || ch === '\n') out += ' ';
    else out += '?';
  }
  return out;
}

/**
 * A challenge: `Bearer realm="gatehouse", error="invalid_token", error_description="..."`.
 * Params whose value is undefined are left out; the rest keep the order given.
 */
export function challenge(scheme: ChallengeScheme, params: Readonly<Partial<Record<ChallengeParam, string | undefined>>> = {}): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) parts.push(`${name}="${authParamValue(value)}"`);
  }
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`;
}
