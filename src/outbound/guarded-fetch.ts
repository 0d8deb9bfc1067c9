import { lookup as osLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { Agent, Dispatcher } from 'undici';
import type { Config } from '../config/schema.ts';
import { OutboundError, type OutboundHttp, type OutboundPurpose, type OutboundRequest, type OutboundResponse } from '../core/ports/outbound-http.ts';
import type { Tracing } from '../core/ports/tracing.ts';
import { AddressPolicy, normalHost } from './address-policy.ts';

/** Every address a hostname resolves to (the OS resolver by default; tests inject their own). */
export type Resolver = (host: string) => Promise<readonly LookupAddress[]>;

export interface GuardedFetchOptions {
  /** `outbound.allowHosts`: hostnames, addresses or CIDR ranges let through although special. */
  readonly allowHosts: readonly string[];
  /** `env: production`: https only, and nothing reaches this machine even if allow-listed. */
  readonly production: boolean;
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  readonly maxBytes: Readonly<Record<OutboundPurpose, number>>;
  readonly resolve?: Resolver;
  /**
   * Per-destination protection around each request (a circuit breaker and a bulkhead per origin,
   * built by src/resilience from `resilience.outbound`); none in unit tests. The time limits
   * above stay the fetcher's own.
   */
  readonly guard?: OutboundRequestGuard;
  /** When tracing is on: a CLIENT span per request and its W3C `traceparent` sent along. */
  readonly tracing?: Pick<Tracing, 'clientSpan'> | null;
  /**
   * Tests only (a ComposeOptions switch, never config or env): one more certificate authority the
   * guarded agent trusts beside the system's, for https servers a test runs on loopback.
   */
  readonly testCa?: string;
}

/** Runs one request to `origin` (scheme, host, port) under that destination's breaker and bulkhead. */
export interface OutboundRequestGuard {
  run<T>(origin: string, call: () => Promise<T>): Promise<T>;
}

export interface TrustedOptions {
  readonly allowHttp?: boolean;
}

/** The guard (DESIGN S19) plus a trusted entry for destinations the operator configured. */
export interface GuardedFetcher extends OutboundHttp {
  /**
   * For URLs the operator configured (event sinks, webhooks, OTLP): the same scheme rule, time
   * and byte limits and no redirects, but no address check. Never for a client-supplied URL.
   * `allowHttp`: plain http also in production, for a destination whose convention is http on
   * the operator's own network (an OTLP collector sidecar, `http://localhost:4318`).
   */
  fetchTrusted(url: string, request: OutboundRequest, options?: TrustedOptions): Promise<OutboundResponse>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

export function guardedFetchOptions(config: Pick<Config, 'env' | 'outbound'>, guard?: OutboundRequestGuard): GuardedFetchOptions {
  const o = config.outbound;
  return {
    ...(guard ? { guard } : {}),
    allowHosts: o.allowHosts,
    production: config.env === 'production',
    connectTimeoutMs: o.connectTimeoutMs,
    timeoutMs: o.timeoutMs,
    maxBytes: {
      client_jwks: o.maxJwksBytes,
      backchannel_logout: o.maxLogoutResponseBytes,
      event_webhook: o.maxWebhookResponseBytes,
      otlp_export: o.maxOtlpResponseBytes,
      client_metadata: o.maxClientMetadataBytes,
    },
  };
}

const resolveAll: Resolver = (host) =>
  new Promise((resolve, reject) => {
    osLookup(host, { all: true, order: 'verbatim' }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The connection's own name resolution: resolves once, refuses the host if ANY address is special
 * and not allow-listed, and hands the checked addresses to the socket. Since the socket connects
 * to exactly what was checked, a DNS answer that changes afterwards (rebinding) changes nothing.
 */
function checkedLookup(policy: AddressPolicy, resolve: Resolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname)
      .then((found) => {
        for (const a of found) {
          const range = policy.refusal(hostname, a.address);
          if (range) throw new OutboundError('refused_address', `${hostname} resolves to a ${range} address`);
        }
        const wanted = options.family === 4 || options.family === 6 ? found.filter((a) => a.family === options.family) : found;
        if (wanted.length === 0) throw Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' });
        if (options.all) callback(null, [...wanted]);
        else callback(null, wanted[0]!.address, wanted[0]!.family);
      })
      .catch((e: NodeJS.ErrnoException) => callback(e, ''));
  };
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function failure(e: unknown, limit: AbortSignal, caller: AbortSignal | undefined): OutboundError {
  if (e instanceof OutboundError) return e;
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof OutboundError) return cause;
  const code = (e as { code?: string }).code;
  if (limit.aborted || (code !== undefined && TIMEOUT_CODES.has(code))) return new OutboundError('timeout');
  if (caller?.aborted) return new OutboundError((caller.reason as Error | undefined)?.name === 'TimeoutError' ? 'timeout' : 'network', 'aborted by the caller');
  return new OutboundError('network', code ?? (e instanceof Error ? e.message : undefined));
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** A request carrying a validator (RFC 9110 §13.1.1, §13.1.3), which a 304 may answer. */
function conditional(req: OutboundRequest): boolean {
  return Object.keys(req.headers ?? {}).some((k) => /^if-(none-match|modified-since)$/i.test(k));
}

/** Abandons a response body (and its connection); the abort it raises is expected. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

/** Reads at most `max` bytes of the body as it streams; one byte more abandons the connection. */
async function readLimited(body: Dispatcher.ResponseData['body'], max: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      discard(body);
      throw new OutboundError('too_large', `body over ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export function createGuardedFetch(opts: GuardedFetchOptions): GuardedFetcher {
  const policy = new AddressPolicy(opts.allowHosts, opts.production);
  const agentOptions = { headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs, keepAliveTimeout: 4_000 };
  // undici (about 5 MB of heap once loaded) loads with the first outbound request: most servers
  // never make one (no client JWKS URIs, logout notifications or webhooks), and idle RSS counts.
  let agents: Promise<{ readonly guarded: Agent; readonly trusted: Agent; readonly request: typeof import('undici').request }> | null = null;
  const loadAgents = () =>
    (agents ??= import('undici').then(({ Agent, request }) => ({
      guarded: new Agent({
        ...agentOptions,
        connect: {
          timeout: opts.connectTimeoutMs,
          lookup: checkedLookup(policy, opts.resolve ?? resolveAll),
          ...(opts.testCa ? { ca: [...rootCertificates, opts.testCa] } : {}),
        },
      }),
      trusted: new Agent({ ...agentOptions, connect: { timeout: opts.connectTimeoutMs } }),
      request,
    })));

  async function send(raw: string, req: OutboundRequest, check: boolean, allowHttp = false): Promise<OutboundResponse> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundError('invalid_url');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OutboundError('invalid_url', `scheme ${url.protocol}`);
    if (url.protocol === 'http:' && opts.production && !allowHttp) throw new OutboundError('not_https');
    // A literal address is never looked up, so it is checked here (the URL parser has already
    // turned 2130706433, 0x7f.1, 0177.0.0.1 and 127.1 into 127.0.0.1).
    const host = normalHost(url.hostname);
    if (check && isIP(host) !== 0) {
      const range = policy.refusal(host, host);
      if (range) throw new OutboundError('refused_address', `a ${range} address`);
    }
    return opts.guard ? opts.guard.run(url.origin, () => exchange(url, req, check)) : exchange(url, req, check);
  }

  async function exchange(url: URL, req: OutboundRequest, check: boolean): Promise<OutboundResponse> {
    const limit = AbortSignal.timeout(opts.timeoutMs);
    const signal = req.signal ? AbortSignal.any([limit, req.signal]) : limit;
    const max = opts.maxBytes[req.purpose];
    try {
      const { guarded, trusted, request } = await loadAgents();
      const res = await request(url, {
        dispatcher: check ? guarded : trusted,
        method: req.method ?? 'GET',
        headers: { 'user-agent': 'Gatehouse', ...req.headers },
        ...(req.body !== undefined ? { body: req.body } : {}),
        signal,
      });
      // Redirects are not followed: a registered URL must not turn into another destination.
      // A 304 is no redirect but the answer to a conditional request (RFC 9110 §15.4.5), and
      // only to one.
      if (res.statusCode >= 300 && res.statusCode < 400 && !(res.statusCode === 304 && conditional(req))) {
        discard(res.body);
        throw new OutboundError('redirect', `status ${res.statusCode}`);
      }
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > max) {
        discard(res.body);
        throw new OutboundError('too_large', `content-length ${declared} over ${max} bytes`);
      }
      const body = await readLimited(res.body, max);
      return { status: res.statusCode, headers: flatHeaders(res.headers), body };
    } catch (e) {
      throw failure(e, limit, req.signal);
    }
  }

  /** The traced variant: one CLIENT span (semconv HTTP client attributes), `traceparent` injected. */
  function traced(tracing: Pick<Tracing, 'clientSpan'>, raw: string, req: OutboundRequest, check: boolean, allowHttp = false): Promise<OutboundResponse> {
    const method = req.method ?? 'GET';
    let target: URL | null = null;
    try {
      target = new URL(raw);
    } catch {
      /* send() reports invalid_url */
    }
    const attributes = {
      'http.request.method': method,
      // Scheme, host and path only: a query may carry something a client did not mean to publish.
      'url.full': target ? `${target.protocol}//${target.host}${target.pathname}` : undefined,
      'server.address': target?.hostname,
      'server.port': target ? Number(target.port || (target.protocol === 'https:' ? 443 : 80)) : undefined,
      'gatehouse.outbound.purpose': req.purpose,
    };
    return tracing.clientSpan(method, attributes, async (span) => {
      const headers: Record<string, string> = { ...req.headers };
      span.inject(headers);
      try {
        const res = await send(raw, { ...req, headers }, check, allowHttp);
        span.setAttribute('http.response.status_code', res.status);
        if (res.status >= 400) span.setAttribute('error.type', String(res.status));
        return res;
      } catch (e) {
        if (e instanceof OutboundError) span.setAttribute('error.type', e.reason);
        throw e;
      }
    });
  }

  const tracing = opts.tracing;
  return {
    fetch: tracing ? (url, req) => traced(tracing, url, req, true) : (url, req) => send(url, req, true),
    fetchTrusted: tracing ? (url, req, o) => traced(tracing, url, req, false, o?.allowHttp) : (url, req, o) => send(url, req, false, o?.allowHttp),
    async close() {
      if (agents === null) return;
      const { guarded, trusted } = await agents;
      await Promise.all([guarded.close(), trusted.close()]);
    },
  };
}
