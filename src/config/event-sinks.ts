import { selectEvents } from '../core/event-catalogue.ts';
import type { EventName } from '../core/events.ts';
import type { Config } from './schema.ts';

/** The sink URL schemes of `GATEHOUSE_EVENTS` and what they name. */
export const SINK_KINDS = {
  'log:': 'log',
  'https:': 'webhook',
  'http:': 'webhook',
  'redis:': 'redis',
  'rediss:': 'redis',
  'amqp:': 'amqp',
  'amqps:': 'amqp',
  'nats:': 'nats',
  'tls:': 'nats',
} as const;
export type SinkKind = (typeof SINK_KINDS)[keyof typeof SINK_KINDS];

/** One configured sink, its options resolved. */
export interface SinkSpec {
  readonly url: URL;
  /** The sink's name in the outbox, metrics and logs: the URL without credentials. */
  readonly key: string;
  readonly kind: SinkKind;
  readonly types: ReadonlySet<EventName>;
  readonly secret: string | undefined;
  readonly retries: number;
  readonly timeoutMs: number;
  readonly batchSize: number;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
/** Standard Webhooks: `whsec_` + base64 of the key; the specification asks for 24 to 64 bytes. */
const WHSEC = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/**
 * The name a sink goes by wherever it is shown or stored: no user name or password, and for
 * webhooks no query string either (it may carry a token); broker URLs keep their query, which
 * names the stream, exchange or subject.
 */
export function redactSinkUrl(url: URL): string {
  if (url.protocol === 'log:') return 'log:';
  const u = new URL(url);
  u.username = '';
  u.password = '';
  if (u.protocol === 'https:' || u.protocol === 'http:') {
    u.search = '';
    u.hash = '';
  }
  return u.toString();
}

/** Reads `events.urls` with the options of `events.sinks`; problems are `path: message`, credentials never shown. */
export function resolveSinks(c: Pick<Config, 'env' | 'events'>): { readonly specs: readonly SinkSpec[]; readonly problems: readonly string[] } {
  const e = c.events;
  const problems: string[] = [];
  const specs: SinkSpec[] = [];
  const used = new Set<string>();
  e.urls.forEach((raw, i) => {
    const path = `events.urls.${i}`;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      problems.push(`${path}: not a URL (GATEHOUSE_EVENTS takes comma-separated sink URLs such as log: or https://hooks.example.com/gatehouse)`);
      return;
    }
    const kind = (SINK_KINDS as Record<string, SinkKind>)[url.protocol];
    const key = redactSinkUrl(url);
    if (!kind) {
      problems.push(`${path}: unknown event sink scheme ${url.protocol} in ${key}; use one of ${Object.keys(SINK_KINDS).join(' ')}`);
      return;
    }
    if (key.length > 255) problems.push(`${path}: ${key.slice(0, 60)}…: longer than 255 characters without its credentials`);
    if (specs.some((s) => s.key === key)) problems.push(`${path}: ${key} is listed twice`);
    const optsKey = Object.hasOwn(e.sinks, raw) ? raw : Object.hasOwn(e.sinks, key) ? key : null;
    if (optsKey) used.add(optsKey);
    const o = optsKey ? e.sinks[optsKey]! : {};
    const optsPath = `events.sinks.${JSON.stringify(key)}`;
    const selected = selectEvents(o.types ?? e.types);
    for (const u of selected.unknown)
      problems.push(`${o.types ? `${optsPath}.types` : 'events.types'}: ${JSON.stringify(u)} names no event of the catalogue (docs/events.md)`);
    if (kind === 'webhook') {
      if (url.protocol === 'http:' && (c.env === 'production' || !LOOPBACK_HOSTS.has(url.host.replace(/:\d+$/, ''))))
        problems.push(`${path}: ${key}: a webhook must be https; plain http is accepted only to 127.0.0.1, [::1] or localhost, and only in development`);
      const m = o.secret === undefined ? null : WHSEC.exec(o.secret);
      const bytes = m ? Buffer.from(m[1]!, 'base64').length : 0;
      if (o.secret === undefined) problems.push(`${optsPath}.secret: a webhook sink needs a Standard Webhooks secret (whsec_ + base64 of 24–64 random bytes)`);
      else if (!m || bytes < 24 || bytes > 64) problems.push(`${optsPath}.secret: must be whsec_ followed by base64 of 24 to 64 random bytes`);
    } else if (o.secret !== undefined) problems.push(`${optsPath}.secret: only webhook sinks are signed`);
    specs.push({
      url,
      key,
      kind,
      types: selected.names,
      secret: o.secret,
      retries: o.retries ?? e.retries,
      timeoutMs: o.timeoutMs ?? e.timeoutMs,
      batchSize: o.batchSize ?? e.batchSize,
    });
  });
  for (const k of Object.keys(e.sinks)) {
    if (used.has(k)) continue;
    let shown = k;
    try {
      shown = redactSinkUrl(new URL(k));
    } catch {
      /* not a URL: shown as written */
    }
    problems.push(`events.sinks.${JSON.stringify(shown)}: options for a sink that is not in events.urls (GATEHOUSE_EVENTS)`);
  }
  return { specs, problems };
}
