import type { SinkKind, SinkSpec } from '../../config/event-sinks.ts';
import type { EventSink } from '../sink.ts';
import { createLogSink, type InfoLogger } from './log-sink.ts';
import { createWebhookSink, type TrustedFetcher } from './webhook-sink.ts';

/** What the factories get besides the URL: the resolved options and the process's pieces. */
export interface SinkContext {
  /** The app logger: the `log:` sink writes here; broker sinks may log connection changes. */
  readonly logger: InfoLogger & { warn(obj: Record<string, unknown>, msg: string): void };
  /** The guarded outbound fetcher (webhooks, S19). */
  readonly http: TrustedFetcher;
}

/** Options a broker sink factory receives (`create(url, options)` in src/events/sinks/<broker>.ts). */
export interface BrokerSinkOptions {
  readonly name: string;
  readonly timeoutMs: number;
  readonly logger: SinkContext['logger'];
}

interface BrokerModule {
  create(url: URL, options: BrokerSinkOptions): EventSink;
}

/** Broker sinks live in their own modules, loaded only when a URL of theirs is configured (S16): their clients (ioredis, amqplib, NATS) cost nothing otherwise. */
function loadBroker(kind: 'redis' | 'amqp' | 'nats'): Promise<BrokerModule> {
  switch (kind) {
    case 'redis':
      return import('./redis-streams.ts');
    case 'amqp':
      return import('./amqp.ts');
    case 'nats':
      return import('./nats.ts');
  }
}

/**
 * Builds the sink of one configured URL (already validated by the config check): `log:` and
 * webhooks here, Redis Streams, RabbitMQ and NATS JetStream from their modules.
 */
export async function createSink(spec: SinkSpec, ctx: SinkContext): Promise<EventSink> {
  switch (spec.kind) {
    case 'log':
      return createLogSink(ctx.logger);
    case 'webhook':
      return createWebhookSink(spec.url, spec.key, ctx.http, { secret: spec.secret!, timeoutMs: spec.timeoutMs });
    case 'redis':
    case 'amqp':
    case 'nats': {
      const mod = await loadBroker(spec.kind);
      return mod.create(spec.url, { name: spec.key, timeoutMs: spec.timeoutMs, logger: ctx.logger });
    }
  }
}
