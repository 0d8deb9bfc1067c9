import type { EventPublisher } from '../core/events.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { ClaimedDelivery, DeliveryOutcome, OutboxStore } from '../core/ports/outbox-store.ts';
import type { CloudEvent, EventSink, SinkResult } from './sink.ts';

/** One configured sink as the relay drives it. */
export interface RelaySink {
  /** The outbox and metrics name (the sink URL without credentials). */
  readonly key: string;
  readonly sink: EventSink;
  /** Retries after the first attempt; the delivery is dead-lettered when they are used up. */
  readonly retries: number;
  /** Longest one `send` may take before its whole batch counts as failed (`timeout`). */
  readonly timeoutMs: number;
  /** Most events per `send`. */
  readonly batchSize: number;
}

/** What the relay reports, for metrics. */
export interface RelayObserver {
  delivered(sink: string, lagsMs: readonly number[]): void;
  failed(sink: string, n: number): void;
  deadLettered(sink: string, n: number): void;
}

export interface RelayDeps {
  readonly outbox: Pick<OutboxStore, 'claim' | 'settle'>;
  readonly events: EventPublisher;
  readonly clock: Clock;
  /** This relay's lease owner id (unique per process). */
  readonly owner: string;
  readonly log: (level: 'info' | 'warn' | 'error', msg: string) => void;
  readonly observer?: RelayObserver;
  /** [0, 1) for the back-off jitter (tests pin it). */
  readonly random?: () => number;
}

export interface RelayOptions {
  /** How often an idle sink looks for due events, in milliseconds (an append in this process wakes it at once). */
  readonly pollIntervalMs: number;
  /** First retry delay; doubles per attempt up to `retryMaxMs` ("equal jitter": half fixed, half random). */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

export interface Relay {
  start(): void;
  /** New events are in the outbox: idle sinks look now. */
  notify(): void;
  /** Stops claiming, waits for batches in flight, closes the sinks. */
  close(): Promise<void>;
}

/** How much longer than `timeoutMs` the relay waits for a sink's answer before counting the batch as timed out. */
export const SEND_GRACE_MS = 1_000;

/** The lease of a claim: long enough for the send to time out and the outcome to be written. */
export const leaseFor = (timeoutMs: number): number => timeoutMs * 2 + 10_000;

/**
 * The outbox relay (docs/events.md): one loop per sink claims due deliveries in outbox order,
 * hands them to `sink.send`, and settles each: delivered; failed → retried after an exponential
 * back-off with jitter; failed permanently or out of retries → dead-lettered, and
 * `event.dead_lettered` is published. Claims are leased, so several instances relay at once
 * without sending one event twice, and a batch whose relay died is claimed again when its lease
 * ends: what was not acknowledged is resent after a restart (at-least-once).
 */
export function createRelay(deps: RelayDeps, sinks: readonly RelaySink[], opts: RelayOptions): Relay {
  const random = deps.random ?? Math.random;
  let stopped = false;
  const waiting = new Set<() => void>();
  const loops: Promise<void>[] = [];

  const notify = () => {
    for (const w of [...waiting]) w();
  };

  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        waiting.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      t.unref();
      waiting.add(done);
    });

  const backoff = (attempts: number) => {
    const d = Math.min(opts.retryMaxMs, opts.retryBaseMs * 2 ** Math.min(attempts - 1, 30));
    return Math.round(d / 2 + (random() * d) / 2);
  };

  async function send(s: RelaySink, batch: readonly CloudEvent[]): Promise<SinkResult> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<SinkResult>((resolve) => {
      // A backstop: sinks keep to `timeoutMs` themselves; one that does not is abandoned a little later.
      timer = setTimeout(() => resolve({ delivered: [], failed: batch.map((e) => ({ id: e.id, reason: 'timeout' })) }), s.timeoutMs + SEND_GRACE_MS);
    });
    try {
      return await Promise.race([s.sink.send(batch), timeout]);
    } catch (e) {
      return { delivered: [], failed: batch.map((ev) => ({ id: ev.id, reason: `send_threw: ${(e as Error).message}` })) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** One claim → send → settle round; resolves to how many deliveries it claimed. */
  async function round(s: RelaySink): Promise<number> {
    const claimed = await deps.outbox.claim(s.key, deps.owner, deps.clock.now(), leaseFor(s.timeoutMs), s.batchSize);
    if (claimed.length === 0) return 0;
    const byId = new Map<string, ClaimedDelivery>(claimed.map((c) => [c.id, c]));
    const batch = claimed.map((c) => JSON.parse(c.envelope) as CloudEvent);
    const result = await send(s, batch);
    const now = deps.clock.now();
    const delivered = result.delivered.filter((id) => byId.has(id));
    const failed = new Map(result.failed.filter((f) => byId.has(f.id) && !delivered.includes(f.id)).map((f) => [f.id, f]));
    // An id the sink neither acknowledged nor refused counts as failed.
    for (const c of claimed) if (!delivered.includes(c.id) && !failed.has(c.id)) failed.set(c.id, { id: c.id, reason: 'no_result' });
    const outcome: { delivered: string[]; retry: DeliveryOutcome['retry'][number][]; dead: DeliveryOutcome['dead'][number][] } = {
      delivered,
      retry: [],
      dead: [],
    };
    for (const f of failed.values()) {
      const c = byId.get(f.id)!;
      if (f.permanent || c.attempts > s.retries) outcome.dead.push({ id: f.id, error: f.reason });
      else outcome.retry.push({ id: f.id, nextAttemptAt: now + backoff(c.attempts), error: f.reason });
    }
    await deps.outbox.settle(s.key, deps.owner, now, outcome);
    if (delivered.length)
      deps.observer?.delivered(
        s.key,
        delivered.map((id) => now - byId.get(id)!.createdAt),
      );
    if (outcome.retry.length) deps.observer?.failed(s.key, outcome.retry.length);
    if (outcome.dead.length) {
      deps.observer?.deadLettered(s.key, outcome.dead.length);
      for (const d of outcome.dead) {
        const c = byId.get(d.id)!;
        deps.log('warn', `event ${d.id} (${c.type}) dead-lettered for sink ${s.key} after ${c.attempts} attempts: ${d.error}`);
        // A dead letter about a dead letter is logged only: no chain of them.
        if (c.type !== 'gatehouse.event.dead_lettered')
          deps.events.publish('event.dead_lettered', { sink: s.key, eventId: d.id, type: c.type, attempts: c.attempts, reason: d.error });
      }
    }
    return claimed.length;
  }

  async function loop(s: RelaySink): Promise<void> {
    let errors = 0;
    while (!stopped) {
      let n = 0;
      try {
        n = await round(s);
        if (errors > 0) deps.log('info', `event relay for sink ${s.key} reaches the outbox again`);
        errors = 0;
      } catch (e) {
        if (errors++ === 0) deps.log('error', `event relay for sink ${s.key} failed, retrying: ${(e as Error).message}`);
        await idle(Math.min(30_000, opts.pollIntervalMs * 2 ** Math.min(errors, 10)));
        continue;
      }
      if (n < s.batchSize && !stopped) await idle(opts.pollIntervalMs);
    }
  }

  return {
    start() {
      if (loops.length || stopped) return;
      for (const s of sinks) loops.push(loop(s));
    },
    notify,
    async close() {
      stopped = true;
      notify();
      await Promise.all(loops);
      await Promise.all(sinks.map((s) => s.sink.close().catch(() => {})));
    },
  };
}
