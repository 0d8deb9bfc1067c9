import { z } from 'zod';
import { decodeCursor, encodeCursor, type ListResult } from './paging.ts';
import { DEFAULT_LIMIT, MAX_LIMIT } from './paging.ts';
import { defineUseCase } from './use-case.ts';

/** One sink's delivery of one event. */
export interface EventDeliveryView {
  readonly sink: string;
  readonly state: 'pending' | 'delivered' | 'dead';
  readonly attempts: number;
  /** Epoch ms when a pending delivery is next tried (0: at once); null once settled. */
  readonly next_attempt_at: number | null;
  /** Epoch ms when it was delivered or dead-lettered. */
  readonly settled_at: number | null;
  readonly last_error: string | null;
}

/** One event from the outbox with its delivery state per sink. */
export interface EventView {
  readonly id: string;
  /** The CloudEvents `type` (`gatehouse.client.created`). */
  readonly type: string;
  /** Epoch ms. */
  readonly created_at: number;
  /** The CloudEvents `subject` and `data` as delivered to the sinks. */
  readonly subject: string | null;
  readonly data: unknown;
  readonly deliveries: readonly EventDeliveryView[];
}

/** One configured sink: backlog, lag, dead letters and its breaker. */
export interface SinkHealthView {
  readonly sink: string;
  readonly pending: number;
  /** Age in ms of the oldest pending delivery (0 when none): how far delivery is behind. */
  readonly lag_ms: number;
  /** Dead-lettered deliveries kept until `events.retention` purges them. */
  readonly dead_letters: number;
  /** The sink's circuit breaker (webhooks: the outbound breaker of its origin); null for sinks without one. */
  readonly breaker: 'closed' | 'open' | 'half_open' | null;
}

function eventView(e: {
  id: string;
  type: string;
  envelope: string;
  createdAt: number;
  deliveries: readonly {
    sink: string;
    state: EventDeliveryView['state'];
    attempts: number;
    nextAttemptAt: number;
    settledAt: number | null;
    lastError: string | null;
  }[];
}): EventView {
  let envelope: Record<string, unknown> = {};
  try {
    envelope = JSON.parse(e.envelope) as Record<string, unknown>;
  } catch {
    // A stored envelope is always JSON (the writer serialised it); shown without data if not.
  }
  return {
    id: e.id,
    type: e.type,
    created_at: e.createdAt,
    subject: typeof envelope['subject'] === 'string' ? envelope['subject'] : null,
    data: envelope['data'] ?? null,
    deliveries: e.deliveries.map((d) => ({
      sink: d.sink,
      state: d.state,
      attempts: d.attempts,
      next_attempt_at: d.state === 'pending' ? d.nextAttemptAt : null,
      settled_at: d.settledAt,
      last_error: d.lastError,
    })),
  };
}

export const listEventsUseCase = defineUseCase({
  name: 'events.list',
  summary: 'Recent events from the outbox (newest first) with their delivery state per sink; q is an exact CloudEvents type',
  role: 'viewer',
  input: z.strictObject({
    limit: z.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
    cursor: z.string().min(1).max(1024).optional(),
    q: z.string().min(1).max(128).optional(),
    sort: z.enum(['created_at']).default('created_at'),
    order: z.enum(['desc']).default('desc'),
  }),
  event: null,
  handle: async (ctx, input): Promise<ListResult<EventView>> => {
    // The outbox keeps what events.retention has not purged; without sinks nothing is written to it.
    const before = input.cursor === undefined ? undefined : decodeCursor(input.cursor, 'string').id;
    const rows = await ctx.deps.outbox.recent(ctx.deps.tenantId, {
      limit: input.limit + 1,
      ...(before === undefined ? {} : { before }),
      ...(input.q === undefined ? {} : { type: input.q }),
    });
    const items = rows.slice(0, input.limit).map(eventView);
    const last = items[items.length - 1];
    return { items, next_cursor: rows.length > input.limit && last ? encodeCursor({ k: last.id, id: last.id }) : null };
  },
});

export const eventHealthUseCase = defineUseCase({
  name: 'events.health',
  summary: 'Event sinks: pending deliveries, lag, dead letters and breaker state per configured sink',
  role: 'viewer',
  input: z.strictObject({}),
  event: null,
  handle: async (ctx): Promise<{ streaming: boolean; sinks: SinkHealthView[] }> => {
    const sinks = ctx.deps.eventSinks;
    if (!sinks || sinks.names.length === 0) return { streaming: false, sinks: [] };
    const [stats, dead] = await Promise.all([ctx.deps.outbox.stats(), ctx.deps.outbox.deadLetters()]);
    const now = ctx.deps.clock.now();
    return {
      streaming: true,
      sinks: sinks.names.map((sink) => {
        const s = stats.find((x) => x.sink === sink);
        return {
          sink,
          pending: s?.pending ?? 0,
          lag_ms: s?.oldestCreatedAt == null ? 0 : Math.max(0, now - s.oldestCreatedAt),
          dead_letters: dead.find((x) => x.sink === sink)?.dead ?? 0,
          breaker: sinks.breaker(sink),
        };
      }),
    };
  },
});

export const eventUseCases = { list: listEventsUseCase, health: eventHealthUseCase } as const;
