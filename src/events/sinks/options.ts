/**
 * What every broker sink factory (`create(url, options)`) shares: its options, its name (the URL
 * without credentials), failure reasons scrubbed of secrets, and a bounded wait.
 */
import type { CloudEvent, SinkResult } from '../sink.ts';

export interface SinkOptions {
  /**
   * Upper bound in ms for connecting and for one batch's acknowledgements (default 5000). A
   * broker outage turns into failed results after at most about this long, never a hang.
   */
  readonly timeoutMs?: number;
  /** Where a sink reports connection trouble; messages never carry credentials. */
  readonly logger?: { warn(obj: object, msg: string): void };
}

export const DEFAULT_SINK_TIMEOUT_MS = 5000;

export function timeoutOf(options: SinkOptions): number {
  const t = options.timeoutMs;
  return typeof t === 'number' && Number.isFinite(t) && t > 0 ? t : DEFAULT_SINK_TIMEOUT_MS;
}

/** The sink's stable name: its URL with user name and password removed. */
export function sinkName(url: URL): string {
  const u = new URL(url.href);
  u.username = '';
  u.password = '';
  return u.href;
}

/** The URL's credentials (decoded and raw), so reasons and log lines can be scrubbed of them. */
export function secretsOf(url: URL): string[] {
  const out = new Set<string>();
  for (const raw of [url.username, url.password]) {
    if (!raw) continue;
    out.add(raw);
    try {
      out.add(decodeURIComponent(raw));
    } catch {
      // a malformed escape: the raw form is all there is
    }
  }
  return [...out].filter((s) => s.length > 0);
}

/** A short, single-line reason for an error, with every known secret replaced by `***`. */
export function reasonOf(e: unknown, secrets: readonly string[]): string {
  let text: string;
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    text = typeof code === 'string' && !e.message.includes(code) ? `${code} ${e.message}` : e.message;
    if (!text && e instanceof AggregateError && e.errors.length) return reasonOf(e.errors[0], secrets);
  } else {
    text = String(e);
  }
  for (const s of secrets) text = scrub(text, s);
  text = text.replace(/\s+/g, ' ').trim();
  return (text || 'unknown error').slice(0, 300);
}

// A long secret is replaced wherever it occurs; a short one only as a whole token, so that a
// user name like "u" does not turn "connection refused" into "connection ref***sed".
function scrub(text: string, secret: string): string {
  if (secret.length >= 8) return text.split(secret).join('***');
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, 'g'), '***');
}

/** Every event of the batch failed for the same reason. */
export function failAll(batch: readonly CloudEvent[], reason: string, permanent?: boolean): SinkResult {
  return { delivered: [], failed: batch.map((e) => (permanent ? { id: e.id, reason, permanent } : { id: e.id, reason })) };
}

/** Resolves or rejects with `p`, or rejects with `message` after `ms`; the timer never keeps the process alive. */
export function within<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Logs a connection problem once per state change, not once per retry (a down broker must not flood the log). */
export function warnOnce(options: SinkOptions, name: string): { warn(reason: string, msg: string): void; reset(): void } {
  let last: string | null = null;
  return {
    warn(reason, msg) {
      if (reason === last) return;
      last = reason;
      options.logger?.warn({ sink: name, reason }, msg);
    },
    reset() {
      last = null;
    },
  };
}
