import { ENV_OVERRIDES, FILE_VARIABLES } from './env.ts';
import type { Config } from './schema.ts';

export const REDACTED = '[redacted]';

/** Dotted paths of secret-bearing settings: those whose variable may be given as `<NAME>_FILE`. */
const SECRET_PATHS: ReadonlySet<string> = new Set(ENV_OVERRIDES.filter(([name]) => FILE_VARIABLES.includes(name)).map(([, path]) => path));
/** Secret settings that are URLs: shown without their credentials rather than not at all. */
const URL_PATHS: ReadonlySet<string> = new Set(['database.url', 'redis.url', 'events.urls']);
const SECRET_QUERY = /pass|secret|token|key|auth|cred/i;
/** Members whose value is a secret wherever they appear, declared or not (defence in depth). */
const SECRET_MEMBER = /(secret|password|salt|^kek|token$)/i;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i;

/** A URL without user name, password, credential-looking query parameters or (http) any query; unparsable: REDACTED. */
export function redactUrl(value: string): string {
  if (!URL.canParse(value)) return REDACTED;
  const u = new URL(value);
  if (u.protocol === 'log:') return value;
  u.username = '';
  u.password = '';
  if (u.protocol === 'http:' || u.protocol === 'https:') u.search = '';
  else for (const k of [...u.searchParams.keys()]) if (SECRET_QUERY.test(k)) u.searchParams.delete(k);
  u.hash = '';
  return u.toString();
}

function redactAt(path: string, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (SECRET_PATHS.has(path)) {
    const one = (v: unknown) => (URL_PATHS.has(path) && typeof v === 'string' ? redactUrl(v) : REDACTED);
    return Array.isArray(value) ? value.map(one) : one(value);
  }
  const member = path.slice(path.lastIndexOf('.') + 1);
  if (SECRET_MEMBER.test(member) && typeof value !== 'boolean' && typeof value !== 'object') return REDACTED;
  if (SECRET_MEMBER.test(member) && Array.isArray(value)) return value.map(() => REDACTED);
  if (Array.isArray(value)) return value.map((v, i) => redactAt(`${path}.${i}`, v));
  // Any other URL with credentials in it (user:password@host) loses them.
  if (typeof value === 'string') return URL_LIKE.test(value) ? redactUrl(value) : value;
  if (typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // `events.sinks` is keyed by sink URL (credentials and all) and holds each webhook's `secret`.
    const key = path === 'events.sinks' ? redactUrl(k) : k;
    out[key] = k === 'secret' && v !== undefined ? REDACTED : redactAt(path ? `${path}.${k}` : k, v);
  }
  return out;
}

/**
 * The effective configuration as an operator may see it (admin API `GET /settings`, MCP
 * `gatehouse://config`, the console's settings page): every secret-bearing setting (each one
 * `<VARIABLE>_FILE` accepts: KEKs, initial access tokens, pairwise salt) and every member named
 * like a secret (`secret`, `password`, `salt`, `kek…`, `…token`) replaced by `[redacted]`; URLs
 * (database, Redis, event sinks, and any other with `user:password@`) without their credentials.
 */
export function redactConfig(config: Config): Record<string, unknown> {
  return redactAt('', config) as Record<string, unknown>;
}
