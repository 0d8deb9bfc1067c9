import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../../core/errors.ts';
import type { AppContext } from '../context.ts';
import { sendOAuthError } from '../errors.ts';
import { errorPage } from '../pages/error-page.ts';
import { sendPage } from '../pages/layout.ts';

/** Probes and scrapes are never shed: an overloaded instance must still say so. */
export const NEVER_SHED: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);

/** By the raw path: `request.routeOptions` builds a new object on every read, too dear for every request. */
function neverShed(url: string): boolean {
  const q = url.indexOf('?');
  return NEVER_SHED.has(q < 0 ? url : url.slice(0, q));
}

export type ShedReason = 'event_loop_delay' | 'in_flight' | 'heap' | 'rss';

const REASON: Readonly<Record<string, ShedReason>> = {
  [underPressure.TYPE_EVENT_LOOP_DELAY]: 'event_loop_delay',
  [underPressure.TYPE_HEAP_USED_BYTES]: 'heap',
  [underPressure.TYPE_RSS_BYTES]: 'rss',
};

export interface LoadState {
  /** Why requests are being shed now (empty: not shedding). */
  reasons(): ShedReason[];
}

const DESCRIPTION = 'the server is overloaded; retry after the time in Retry-After';

/** A browser navigating (pages) gets the error page; every other caller the OAuth JSON error. */
function wantsPage(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

/**
 * Load shedding (`resilience.shed.*`): @fastify/under-pressure samples event-loop delay, heap and
 * RSS; requests in flight are counted here (the library has no such check). Over a threshold a
 * request is answered at once, before any parsing or store call: 503 with `Retry-After` and
 * `{"error":"temporarily_unavailable",…}` (RFC 6749 §4.1.2.1: "The authorization server is
 * currently unable to handle the request due to a temporary overloading or maintenance of the
 * server"), or the error page when a browser asks for HTML. Each shed request publishes
 * `request.shed`; the start of an episode is logged once, and its end (a whole sample interval
 * without a shed request) once. `/health`, `/ready` and
 * `/metrics` are never shed.
 */
export async function registerLoadShedding(app: FastifyInstance, ctx: Pick<AppContext, 'config' | 'events' | 'pages'>): Promise<LoadState> {
  const s = ctx.config.resilience.shed;
  const retryAfter = String(s.retryAfter);
  let inFlight = 0;
  let shedding: ShedReason | null = null;
  let lastShed = 0;
  // The end of an episode: no request shed for a whole sample interval (checked off the request path).
  let episode: NodeJS.Timeout | null = null;
  const checkEpisode = (): void => {
    if (Date.now() - lastShed < s.sampleIntervalMs) return;
    app.log.warn({ reason: shedding }, 'load shedding stopped');
    shedding = null;
    if (episode) clearInterval(episode);
    episode = null;
  };
  app.addHook('onClose', (_instance, done) => {
    if (episode) clearInterval(episode);
    done();
  });

  const shed = (request: FastifyRequest, reply: FastifyReply, reason: ShedReason): void => {
    lastShed = Date.now();
    if (shedding === null) {
      request.log.warn({ reason }, 'overloaded: shedding load (503 temporarily_unavailable)');
      episode = setInterval(checkEpisode, s.sampleIntervalMs);
      episode.unref();
    }
    shedding = reason;
    ctx.events.publish('request.shed', { route: request.routeOptions.url ?? 'unknown', reason });
    reply.header('retry-after', retryAfter);
    if (wantsPage(request)) {
      sendPage(reply, errorPage(ctx.pages.forRequest(request), { code: 'temporarily_unavailable', details: DESCRIPTION, status: 503 }));
    } else {
      sendOAuthError(reply, new OAuthError('temporarily_unavailable', DESCRIPTION));
    }
  };

  function release(): void {
    inFlight--;
  }

  // In flight: counted from onRequest until the response closes (sent or abandoned by the client).
  app.addHook('onRequest', (request, reply, done) => {
    if (neverShed(request.url)) return done();
    if (s.maxInFlight > 0 && inFlight >= s.maxInFlight) {
      shed(request, reply, 'in_flight');
      return;
    }
    inFlight++;
    reply.raw.on('close', release);
    done();
  });

  await app.register(underPressure, {
    maxEventLoopDelay: s.maxEventLoopDelayMs,
    maxHeapUsedBytes: s.maxHeapUsedBytes,
    maxRssBytes: s.maxRssBytes,
    sampleInterval: s.sampleIntervalMs,
    pressureHandler: (request, reply, type) => {
      if (neverShed(request.url)) return;
      shed(request, reply, REASON[type] ?? 'event_loop_delay');
      // The reply is sent synchronously, so the library's next() finds it sent and runs nothing more.
    },
  });

  return {
    reasons() {
      const out: ShedReason[] = [];
      if (s.maxInFlight > 0 && inFlight >= s.maxInFlight) out.push('in_flight');
      const m = app.memoryUsage();
      if (s.maxEventLoopDelayMs > 0 && m.eventLoopDelay > s.maxEventLoopDelayMs) out.push('event_loop_delay');
      if (s.maxHeapUsedBytes > 0 && m.heapUsed > s.maxHeapUsedBytes) out.push('heap');
      if (s.maxRssBytes > 0 && m.rssBytes > s.maxRssBytes) out.push('rss');
      return out;
    },
  };
}
