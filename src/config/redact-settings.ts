import { redactSinkUrl } from './event-sinks.ts';
import type { Config } from './schema.ts';

/** Members whose value is a secret wherever they appear: shown as `[redacted]` (set) or null (unset). */
const SECRET_MEMBER = /(secret|password|salt|^kek|token$)/i;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A URL without user name, password and (http/https) query: database, Redis and sink URLs carry credentials there. */
function redactUrl(text: string): string {
  if (!URL_LIKE.test(text)) return text;
  try {
    const url = new URL(text);
    // Unchanged unless there is something to take out (a URL is shown as configured).
    const hasQuery = (url.protocol === 'https:' || url.protocol === 'http:') && (url.search !== '' || url.hash !== '');
    if (url.username === '' && url.password === '' && !hasQuery) return text;
    return redactSinkUrl(url);
  } catch {
    return '[redacted]';
  }
}

function walk(value: unknown, member: string): unknown {
  if (SECRET_MEMBER.test(member) && value !== undefined && value !== null && typeof value !== 'object' && typeof value !== 'boolean') return '[redacted]';
  if (SECRET_MEMBER.test(member) && Array.isArray(value)) return value.map(() => '[redacted]');
  if (typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, member));
  if (value !== null && typeof value === 'object') {
    // Keys too: events.sinks is keyed by sink URL, which may carry credentials.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactUrl(k), walk(v, k)]));
  }
  return value;
}

/**
 * The effective configuration as operators may see it (admin API `GET /settings`): the KEKs, the
 * pairwise salt, webhook secrets and passwords replaced by `[redacted]`; credentials and webhook
 * query strings removed from every URL.
 */
export function redactSettings(config: Config): Readonly<Record<string, unknown>> {
  return walk(config, '') as Record<string, unknown>;
}
