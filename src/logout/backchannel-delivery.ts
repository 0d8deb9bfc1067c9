import type { BackchannelLogoutMessage, LogoutNotifier } from '../core/end-session/logout-notifier.ts';
import type { EventPublisher } from '../core/events.ts';
import type { Clock } from '../core/ports/clock.ts';
import { OutboundError, type OutboundFailure, type OutboundHttp } from '../core/ports/outbound-http.ts';

/**
 * Back-Channel Logout 1.0 §2.5 delivery: POSTs each Logout Token to the RP's
 * `backchannel_logout_uri`, in the background, through the guarded outbound fetcher (S19: the URI
 * is the client's, so internal addresses are refused unless allow-listed). In-process: a delivery still pending when the
 * process stops is lost (reported as `shutdown`); a durable outbox comes with the operations work.
 */
export interface BackchannelDeliveryOptions {
  /** Per-attempt timeout (config `logout.backchannelTimeout`, in ms here). */
  readonly timeoutMs: number;
  /** Retries after the first attempt (config `logout.backchannelRetries`). */
  readonly retries: number;
  /** First back-off delay; doubles per retry (default 1000 ms), capped at `maxDelayMs` (30 s). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Deliveries in flight at once; beyond it a message fails at once as `overloaded` (default 10 000). */
  readonly maxPending?: number;
  /** Waits `ms` or until `signal` aborts (default: an unref'd timer). Tests inject their own. */
  readonly delay?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface BackchannelDelivery extends LogoutNotifier {
  /** Deliveries not yet delivered or given up. */
  readonly pending: number;
  /** Resolves once every delivery queued so far has ended (delivered or failed). */
  idle(): Promise<void>;
  /** Stops: aborts in-flight attempts and back-offs; each pending delivery fails as `shutdown`. */
  close(): Promise<void>;
}

type Outcome = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly reason: string; readonly retry: boolean };

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

/** Failures a later attempt may not repeat (the others are final: the URI itself is refused). */
// An open breaker or a full bulkhead for the RP's host may clear before the next attempt.
const TRANSIENT: ReadonlySet<OutboundFailure> = new Set(['timeout', 'network', 'circuit_open', 'overloaded']);

export function createBackchannelDelivery(
  deps: { readonly events: EventPublisher; readonly clock: Clock; readonly http: OutboundHttp },
  opts: BackchannelDeliveryOptions,
): BackchannelDelivery {
  const delay = opts.delay ?? sleep;
  const base = opts.baseDelayMs ?? 1000;
  const maxDelay = opts.maxDelayMs ?? 30_000;
  const maxPending = opts.maxPending ?? 10_000;
  const stop = new AbortController();
  const inflight = new Set<Promise<void>>();

  async function attempt(m: BackchannelLogoutMessage): Promise<Outcome> {
    try {
      // A redirect is not a delivery (and must not turn a registered URI into another target):
      // the fetcher fails with `redirect` rather than following it.
      const res = await deps.http.fetch(m.uri, {
        purpose: 'backchannel_logout',
        method: 'POST',
        // §2.5: "The OP sends an HTTP POST request to the RP's back-channel logout URI" with the
        // logout_token "using the application/x-www-form-urlencoded format".
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: m.logoutToken }).toString(),
        signal: AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), stop.signal]),
      });
      // §2.8: "If the logout succeeded, the RP MUST respond with HTTP 200 OK. However, note that
      // some Web frameworks will substitute a HTTP 204 No Content response".
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      // 400 means the RP refused the token: sending it again cannot help. 429/5xx may pass later.
      return { ok: false, reason: `http_${res.status}`, retry: res.status === 429 || res.status >= 500 };
    } catch (e) {
      if (stop.signal.aborted) return { ok: false, reason: 'shutdown', retry: false };
      const reason: OutboundFailure = e instanceof OutboundError ? e.reason : 'network';
      return { ok: false, reason, retry: TRANSIENT.has(reason) };
    }
  }

  async function deliver(m: BackchannelLogoutMessage): Promise<void> {
    let attempts = 0;
    let reason = 'expired';
    for (;;) {
      if (stop.signal.aborted) {
        reason = 'shutdown';
        break;
      }
      // No attempt with a token the RP must reject as expired (§2.6: "Validate the exp Claim").
      // (Given up for expiry after failed attempts, the event keeps the last failure's reason.)
      if (deps.clock.now() / 1000 >= m.expiresAt) break;
      attempts++;
      const outcome = await attempt(m);
      if (outcome.ok) {
        deps.events.publish('backchannel_logout.delivered', { tenantId: m.tenantId, clientId: m.clientId, jti: m.jti, attempts, status: outcome.status });
        return;
      }
      reason = outcome.reason;
      if (!outcome.retry || attempts > opts.retries) break;
      await delay(Math.min(base * 2 ** (attempts - 1), maxDelay), stop.signal);
    }
    deps.events.publish('backchannel_logout.failed', { tenantId: m.tenantId, clientId: m.clientId, jti: m.jti, attempts, reason });
  }

  async function idle(): Promise<void> {
    while (inflight.size > 0) await Promise.all([...inflight]);
  }

  return {
    get pending() {
      return inflight.size;
    },
    notify(m) {
      if (stop.signal.aborted || inflight.size >= maxPending) {
        deps.events.publish('backchannel_logout.failed', {
          tenantId: m.tenantId,
          clientId: m.clientId,
          jti: m.jti,
          attempts: 0,
          reason: stop.signal.aborted ? 'shutdown' : 'overloaded',
        });
        return;
      }
      // Started on a later turn: the caller (the user's response) never waits for it.
      const p: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => deliver(m))
        .catch(() => {})
        .finally(() => inflight.delete(p));
      inflight.add(p);
    },
    idle,
    async close() {
      stop.abort();
      await idle();
    },
  };
}
