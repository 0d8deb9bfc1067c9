import type { EventBus, EventMap, EventName } from '../core/events.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { OutboxEntry, OutboxStore } from '../core/ports/outbox-store.ts';
import { buildEnvelope } from './envelope.ts';

export interface OutboxWriterDeps {
  readonly events: Pick<EventBus, 'on'>;
  readonly outbox: Pick<OutboxStore, 'append'>;
  readonly clock: Clock;
  /** The issuer URL: every envelope's `source`. */
  readonly source: string;
  /** Sink names per selected event; an event no sink selects is never buffered or written. */
  readonly routes: ReadonlyMap<EventName, readonly string[]>;
  readonly log: (level: 'warn' | 'error', msg: string) => void;
  /** Called after each successful append (the relay wakes up at once instead of polling). */
  readonly onAppended?: () => void;
}

export interface OutboxWriterOptions {
  /** Most events waiting in memory for the outbox; past it new events are dropped (and counted). */
  readonly maxBuffered: number;
  /** Most events in one append. */
  readonly batchSize: number;
  /** Longest an event waits in memory before its batch is written, in milliseconds. */
  readonly flushIntervalMs: number;
  /** `rate_limit.hit` aggregation window, in milliseconds. */
  readonly rateWindowMs: number;
}

export interface OutboxWriter {
  /** Events waiting in memory (not yet in the outbox). */
  buffered(): number;
  /** Events dropped because the buffer was full, since start. */
  dropped(): number;
  /** Writes everything buffered now (open rate-limit windows stay open). */
  flush(): Promise<void>;
  /**
   * The outbox row for an event a unit of work writes in its own transaction (application-layer
   * mutations, docs/events.md): the same envelope and routing as a buffered event, or null when
   * no sink selects it. The payload is remembered (weakly): when it is published on the bus after
   * the commit, this writer does not buffer it a second time.
   */
  entryFor<K extends EventName>(name: K, payload: EventMap[K]): OutboxEntry | null;
  /** Tells the relay that rows were committed outside this writer (after a unit of work). */
  appended(): void;
  /** Unsubscribes, closes the open aggregation windows and writes what is buffered (bounded by `deadlineMs`). */
  close(deadlineMs?: number): Promise<void>;
}

/**
 * The bus → outbox bridge (docs/events.md "Delivery guarantees"). A bus listener only builds the
 * envelope and pushes it into a bounded in-memory buffer: publishing never awaits the store and
 * never blocks a request. The buffer is written in batches (one transaction each) when it holds
 * `batchSize` events or `flushIntervalMs` after the first one, and on shutdown.
 *
 * What this leaves: an event is durable once its batch is appended. Events still in the buffer
 * when the process dies (SIGKILL, OOM, power loss: at most `flushIntervalMs` worth, plus whatever
 * a store outage held back) are lost; a clean shutdown writes them. While the store is
 * unreachable the buffer keeps events (retrying the append) up to `maxBuffered`, then drops new
 * ones and says so in logs and `gatehouse_events_dropped_total`.
 *
 * `rate_limit.hit` is aggregated: one event per (tenant, policy) and window with a `count`, so
 * a flood of 429s is one write per policy per window.
 */
export function createOutboxWriter(deps: OutboxWriterDeps, opts: OutboxWriterOptions): OutboxWriter {
  const buffer: OutboxEntry[] = [];
  let dropped = 0;
  let droppedSinceWarn = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let flushing: Promise<void> | null = null;
  let failures = 0;
  let closed = false;

  const push = (entry: OutboxEntry) => {
    if (buffer.length >= opts.maxBuffered) {
      dropped++;
      if (droppedSinceWarn++ === 0)
        deps.log('error', `event outbox buffer full (${opts.maxBuffered} events): dropping events until the store accepts writes again`);
      return;
    }
    buffer.push(entry);
    schedule(buffer.length >= opts.batchSize ? 0 : opts.flushIntervalMs);
  };

  const entry = <K extends EventName>(name: K, payload: EventMap[K], sinks: readonly string[]): OutboxEntry => {
    const now = deps.clock.now();
    const env = buildEnvelope(deps.source, name, payload, now);
    return { id: env.id, tenantId: env.tenantid ?? 'default', type: env.type, envelope: JSON.stringify(env), createdAt: now, sinks };
  };
  const add = <K extends EventName>(name: K, payload: EventMap[K], sinks: readonly string[]) => push(entry(name, payload, sinks));
  // Payloads already written by a unit of work: skipped when the bus delivers them after commit.
  const written = new WeakSet<object>();

  function schedule(ms: number): void {
    if (closed || flushing) return;
    if (timer && ms > 0) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void flush();
    }, ms);
    timer.unref();
  }

  async function writeBuffered(): Promise<void> {
    while (buffer.length) {
      const batch = buffer.slice(0, opts.batchSize);
      await deps.outbox.append(batch);
      buffer.splice(0, batch.length);
      if (droppedSinceWarn > 0) {
        deps.log('warn', `event outbox accepts writes again; ${droppedSinceWarn} events were dropped while the buffer was full`);
        droppedSinceWarn = 0;
      }
      failures = 0;
      deps.onAppended?.();
    }
  }

  function flush(): Promise<void> {
    flushing ??= writeBuffered()
      .catch((e: unknown) => {
        // Kept in the buffer; retried with back-off (at most 30 s apart).
        if (failures++ === 0) deps.log('error', `event outbox append failed, retrying: ${(e as Error).message}`);
        if (!closed) {
          const wait = Math.min(30_000, opts.flushIntervalMs * 2 ** Math.min(failures, 10));
          setTimeout(() => schedule(0), wait).unref();
        }
      })
      .finally(() => {
        flushing = null;
        if (buffer.length && !closed && failures === 0) schedule(0);
      });
    return flushing;
  }

  const unsubscribe: (() => void)[] = [];
  const aggregate = rateLimitWindows(deps, opts.rateWindowMs, (payload, sinks) => add('rate_limit.hit', payload as never, sinks));
  for (const [name, sinks] of deps.routes) {
    if (name === 'rate_limit.hit') unsubscribe.push(deps.events.on(name, (p) => aggregate.count(p, sinks)));
    else unsubscribe.push(deps.events.on(name, (p) => written.has(p) || add(name, p as EventMap[typeof name], sinks)));
  }

  return {
    entryFor(name, payload) {
      const sinks = deps.routes.get(name);
      // rate_limit.hit is aggregated per window, never written one by one.
      if (!sinks || name === 'rate_limit.hit') return null;
      written.add(payload);
      return entry(name, payload, sinks);
    },
    appended: () => deps.onAppended?.(),
    buffered: () => buffer.length,
    dropped: () => dropped,
    async flush() {
      await flush();
      if (buffer.length) await flush();
    },
    async close(deadlineMs = 5_000) {
      for (const off of unsubscribe) off();
      aggregate.closeAll();
      aggregate.stop();
      if (timer) clearTimeout(timer);
      timer = null;
      // Real time, not the injected clock: a test clock that stands still must not hang shutdown.
      const deadline = Date.now() + deadlineMs;
      while (buffer.length && Date.now() < deadline) {
        await flush();
        if (failures > 0) await new Promise((r) => setTimeout(r, 100));
      }
      closed = true;
      if (buffer.length) deps.log('error', `event outbox: ${buffer.length} events not written at shutdown (store unreachable)`);
    },
  };
}

type RateLimitHit = EventMap['rate_limit.hit'];

/**
 * One `rate_limit.hit` per (tenant, policy) and window: the first hit opens the window, later
 * ones count, and when the window ends one event goes to the buffer with `count`,
 * `windowStart` and `windowEnd` (epoch ms) instead of `route` and `clientId`.
 */
function rateLimitWindows(deps: Pick<OutboxWriterDeps, 'clock'>, windowMs: number, emit: (payload: Record<string, unknown>, sinks: readonly string[]) => void) {
  const open = new Map<string, { tenantId: string; policy: string; start: number; count: number; sinks: readonly string[] }>();
  // Ticks only while a window is open.
  let stopped = false;
  let timer: ReturnType<typeof setInterval> | null = null;
  const tick = () => {
    closeDue(deps.clock.now());
    if (open.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
  function close(key: string, end: number): void {
    const w = open.get(key)!;
    open.delete(key);
    emit({ tenantId: w.tenantId, policy: w.policy, count: w.count, windowStart: w.start, windowEnd: end }, w.sinks);
  }
  function closeDue(now: number): void {
    for (const [key, w] of open) if (now - w.start >= windowMs) close(key, w.start + windowMs);
  }
  return {
    count(p: RateLimitHit, sinks: readonly string[]) {
      const key = `${p.tenantId}\u0000${p.policy}`;
      const w = open.get(key);
      if (w) w.count++;
      else {
        open.set(key, { tenantId: p.tenantId, policy: p.policy, start: deps.clock.now(), count: 1, sinks });
        if (!stopped && !timer) {
          timer = setInterval(tick, Math.max(50, Math.min(windowMs, 1_000)));
          timer.unref();
        }
      }
    },
    closeAll() {
      const now = deps.clock.now();
      for (const key of [...open.keys()]) close(key, now);
    },
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
