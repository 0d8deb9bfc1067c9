import { Webhook } from 'standardwebhooks';
import { OutboundError, type OutboundRequest, type OutboundResponse } from '../../core/ports/outbound-http.ts';
import type { CloudEvent, EventSink, SinkResult } from '../sink.ts';

/** The guarded fetcher's entry for operator-configured destinations (src/outbound, S19). */
export interface TrustedFetcher {
  fetchTrusted(url: string, request: OutboundRequest): Promise<OutboundResponse>;
}

export interface WebhookSinkOptions {
  /** The Standard Webhooks secret, `whsec_` + base64 (checked by the config). */
  readonly secret: string;
  /** Time limit of one send (the whole batch), in milliseconds. */
  readonly timeoutMs: number;
  /** Epoch milliseconds (tests pin it). */
  readonly now?: () => number;
}

/** RFC 9110 §15.5.9 / RFC 6585 §4: "try again later" answers among the 4xx. */
const RETRYABLE_4XX = new Set([408, 429]);
/** Outbound failures no retry can cure: the URL itself is refused. */
const PERMANENT: ReadonlySet<string> = new Set(['invalid_url', 'not_https', 'refused_address']);

/**
 * Webhooks signed per the Standard Webhooks specification: each event is one POST of its
 * CloudEvents envelope (structured mode, `application/cloudevents+json`) with `webhook-id` (the
 * event id, stable across retries: receivers de-duplicate on it), `webhook-timestamp` (seconds)
 * and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the secret),
 * signed by the reference `standardwebhooks` library.
 *
 * Outcome per event: 2xx delivered; a 4xx other than 408/429 is permanent (dead-lettered at
 * once: the receiver refuses this event and will go on refusing it); anything else (5xx, 408,
 * 429, 3xx, timeout, network) is retried by the relay with back-off. Events of a batch go out one
 * after another in outbox order; after a retryable failure the rest of the batch is not tried
 * (`skipped`) so an unreachable receiver costs one attempt per batch, not one per event.
 */
export function createWebhookSink(url: URL, name: string, http: TrustedFetcher, opts: WebhookSinkOptions): EventSink {
  const signer = new Webhook(opts.secret);
  const now = opts.now ?? Date.now;
  const target = url.toString();
  return {
    name,
    async send(batch: readonly CloudEvent[]): Promise<SinkResult> {
      const delivered: string[] = [];
      const failed: { id: string; reason: string; permanent?: boolean }[] = [];
      let stop: string | null = null;
      // `timeoutMs` bounds the whole send, as the relay counts it: each POST gets what is left.
      const deadline = Date.now() + opts.timeoutMs;
      for (const event of batch) {
        const left = deadline - Date.now();
        if (!stop && left <= 0) stop = 'timeout';
        if (stop) {
          failed.push({ id: event.id, reason: `skipped after ${stop}` });
          continue;
        }
        const body = JSON.stringify(event);
        const at = new Date(now());
        const headers = {
          'content-type': 'application/cloudevents+json; charset=utf-8',
          'webhook-id': event.id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(event.id, at, body),
        };
        try {
          const res = await http.fetchTrusted(target, { purpose: 'event_webhook', method: 'POST', headers, body, signal: AbortSignal.timeout(left) });
          if (res.status >= 200 && res.status < 300) delivered.push(event.id);
          else if (res.status >= 400 && res.status < 500 && !RETRYABLE_4XX.has(res.status))
            failed.push({ id: event.id, reason: `http_${res.status}`, permanent: true });
          else {
            stop = `http_${res.status}`;
            failed.push({ id: event.id, reason: stop });
          }
        } catch (e) {
          const reason = e instanceof OutboundError ? e.reason : 'network';
          if (PERMANENT.has(reason)) failed.push({ id: event.id, reason, permanent: true });
          else {
            stop = reason;
            failed.push({ id: event.id, reason });
          }
        }
      }
      return { delivered, failed };
    },
    async close() {},
  };
}
