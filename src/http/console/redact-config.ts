import type { Config } from '../../config/schema.ts';

export const REDACTED = '[redacted]';

/** Members whose value is a secret wherever they appear (KEKs, tokens, salts, signing secrets, passwords). */
const SECRET_MEMBER = /^(kek|kekPrevious|adminToken|pairwiseSalt|secret|password|.*(Secret|Password|Token|Salt))$/;

/** A URL without its user name, password and (for http) query, or the text unchanged when it is not one. */
function withoutCredentials(v: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return v;
  try {
    const u = new URL(v);
    if (!u.username && !u.password && !u.search) return v;
    if (u.username) u.username = REDACTED;
    if (u.password) u.password = REDACTED;
    if (u.protocol === 'http:' || u.protocol === 'https:') u.search = '';
    return u.toString();
  } catch {
    return REDACTED;
  }
}

function redact(v: unknown, member: string): unknown {
  if (SECRET_MEMBER.test(member) && v !== null && v !== undefined && v !== false && v !== '') return REDACTED;
  if (typeof v === 'string') return withoutCredentials(v);
  if (Array.isArray(v)) return v.map((x) => redact(x, ''));
  if (typeof v === 'object' && v !== null) {
    // Keys may be URLs with credentials too (events.sinks is keyed by sink URL).
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [withoutCredentials(k), redact(x, k)]));
  }
  return v;
}

/**
 * The effective configuration as the Settings page shows it: every secret member replaced by
 * `[redacted]` and credentials (and http query strings, which may carry tokens) taken out of
 * every URL, keys included.
 */
export function redactConfig(config: Config): unknown {
  return redact(config, '');
}
