import { ENV_OVERRIDES, FILE_VARIABLES } from './env.ts';
import type { Config } from './schema.ts';

export const REDACTED = '[redacted]';

/** Dotted paths of secret-bearing settings: those whose variable may be given as `<NAME>_FILE`. */
const SECRET_PATHS: ReadonlySet<string> = new Set(ENV_OVERRIDES.filter(([name]) => FILE_VARIABLES.includes(name)).map(([, path]) => path));
/** Secret settings that are URLs: shown without their credentials rather than not at all. */
const URL_PATHS: ReadonlySet<string> = new Set(['database.url', 'redis.url', 'events.urls']);
const SECRET_QUERY = /pass|secret|token|key|auth|cred/i;

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
  if (Array.isArray(value)) return value.map((v, i) => redactAt(`${path}.${i}`, v));
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
 * The effective configuration as an operator may see it (MCP `gatehouse://config`): every
 * secret-bearing setting (each one `<VARIABLE>_FILE` accepts: KEK, admin token, initial access
 * tokens, pairwise salt) replaced by `[redacted]`, URLs (database, Redis, event sinks) without
 * their credentials, webhook signing secrets redacted.
 */
export function redactConfig(config: Config): Record<string, unknown> {
  return redactAt('', config) as Record<string, unknown>;
}
