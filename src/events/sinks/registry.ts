import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SinkKind, SinkSpec } from '../../config/event-sinks.ts';
import { GatehouseError } from '../../core/errors.ts';
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

/** Broker sinks live in their own modules, loaded only when a URL of theirs is configured (S16). */
const BROKER_MODULES: Partial<Record<SinkKind, string>> = { redis: 'redis-streams', amqp: 'amqp', nats: 'nats' };

/** `.ts` when run from source (tsx, tests), `.js` once compiled. */
const EXT = extname(fileURLToPath(import.meta.url));

async function loadBroker(kind: SinkKind, key: string): Promise<BrokerModule> {
  const file = BROKER_MODULES[kind]!;
  try {
    const mod = (await import(new URL(`./${file}${EXT}`, import.meta.url).href)) as Partial<BrokerModule>;
    if (typeof mod.create !== 'function') throw new Error('no create()');
    return mod as BrokerModule;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || (e as Error).message === 'no create()')
      throw new GatehouseError('GH_CONFIG_INVALID', `events.urls: ${key}: the ${kind} event sink is not available in this build`);
    throw e;
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
      const mod = await loadBroker(spec.kind, spec.key);
      return mod.create(spec.url, { name: spec.key, timeoutMs: spec.timeoutMs, logger: ctx.logger });
    }
  }
}
