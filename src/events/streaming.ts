import { randomUUID } from 'node:crypto';
import type { SinkSpec } from '../config/event-sinks.ts';
import type { Config } from '../config/schema.ts';
import type { EventBus, EventName } from '../core/events.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { OutboxStore } from '../core/ports/outbox-store.ts';
import { createOutboxWriter, type OutboxWriter } from './outbox-writer.ts';
import { createRelay, type Relay, type RelayObserver } from './relay.ts';
import type { EventSink } from './sink.ts';

export interface EventStreamingDeps {
  readonly events: EventBus;
  readonly outbox: OutboxStore;
  readonly clock: Clock;
  readonly log: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

/** Event streaming of one process: the bus → outbox writer always, the relay where the server runs. */
export interface EventStreaming {
  /** The configured sinks by outbox name. */
  readonly sinks: readonly string[];
  readonly writer: OutboxWriter;
  /**
   * Builds every sink (`build`: the composition root's registry) and starts relaying. Only the
   * server relays; a CLI process writes its events to the outbox and a server delivers them.
   */
  startRelay(build: (spec: SinkSpec) => Promise<EventSink>, observer?: RelayObserver): Promise<void>;
  /** Deletes delivered and dead-lettered rows older than `events.retention`; returns the events deleted. */
  purge(): Promise<number>;
  /** Writes what is buffered to the outbox, then stops the relay and closes the sinks. */
  close(): Promise<void>;
}

/** The bus routes: for each event name, the sinks that select it. */
export function routesOf(specs: readonly SinkSpec[]): Map<EventName, string[]> {
  const routes = new Map<EventName, string[]>();
  for (const s of specs) for (const n of s.types) routes.set(n, [...(routes.get(n) ?? []), s.key]);
  return routes;
}

export function createEventStreaming(deps: EventStreamingDeps, specs: readonly SinkSpec[], config: Pick<Config, 'issuer' | 'events'>): EventStreaming {
  const e = config.events;
  let relay: Relay | null = null;
  const writer = createOutboxWriter(
    {
      events: deps.events,
      outbox: deps.outbox,
      clock: deps.clock,
      source: config.issuer,
      routes: routesOf(specs),
      log: deps.log,
      onAppended: () => relay?.notify(),
    },
    { maxBuffered: e.bufferSize, batchSize: e.writeBatchSize, flushIntervalMs: e.flushIntervalMs, rateWindowMs: e.rateLimitWindow * 1000 },
  );
  return {
    sinks: specs.map((s) => s.key),
    writer,
    async startRelay(build, observer) {
      if (relay) return;
      const sinks: EventSink[] = [];
      try {
        for (const s of specs) sinks.push(await build(s));
      } catch (err) {
        await Promise.all(sinks.map((s) => s.close().catch(() => {})));
        throw err;
      }
      relay = createRelay(
        { outbox: deps.outbox, events: deps.events, clock: deps.clock, owner: randomUUID(), log: deps.log, ...(observer ? { observer } : {}) },
        specs.map((s, i) => ({ key: s.key, sink: sinks[i]!, retries: s.retries, timeoutMs: s.timeoutMs, batchSize: s.batchSize })),
        { pollIntervalMs: e.pollIntervalMs, retryBaseMs: e.retryBaseMs, retryMaxMs: e.retryMaxMs },
      );
      relay.start();
    },
    purge: () => deps.outbox.purgeSettled(deps.clock.now() - e.retention * 1000),
    async close() {
      await writer.close();
      await relay?.close();
    },
  };
}
