import { z } from 'zod';
import { verifyAuditChain } from '../core/audit/verify-chain.ts';
import { AUDIT_CHECKPOINT_ACTION, type AuditRecord } from '../core/model/audit.ts';
import { decodeCursor, DEFAULT_LIMIT, encodeCursor, MAX_LIMIT, type ListResult } from './paging.ts';
import { defineUseCase } from './use-case.ts';

/** An audit record as operators see it (CLI --json, admin API): snake_case, time as ISO 8601 and epoch ms. */
export interface AuditRecordView {
  readonly seq: number;
  readonly time: string;
  readonly time_ms: number;
  readonly actor: { readonly kind: string; readonly id: string };
  readonly action: string;
  readonly object: { readonly type: string; readonly id: string | null };
  readonly origin: string;
  readonly outcome: string;
  readonly error_code: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly prev_hash: string;
  readonly hash: string;
}

export const auditView = (r: AuditRecord): AuditRecordView => ({
  seq: r.seq,
  time: new Date(r.time).toISOString(),
  time_ms: r.time,
  actor: r.actor,
  action: r.action,
  object: r.object,
  origin: r.origin,
  outcome: r.outcome,
  error_code: r.errorCode,
  detail: r.detail,
  prev_hash: r.prevHash,
  hash: r.hash,
});

const text = z.string().min(1).max(255);
const headSchema = z.strictObject({ seq: z.number().int().min(0), hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits') });

export const listAuditUseCase = defineUseCase({
  name: 'audit.list',
  summary: 'Audit records, newest first (or oldest with order=asc), filtered by time, actor, action and object; keyset-paged by seq',
  role: 'viewer',
  input: z.strictObject({
    since: z.number().int().min(0).optional().describe('epoch milliseconds, inclusive'),
    until: z.number().int().min(0).optional().describe('epoch milliseconds, exclusive'),
    actor: text.optional().describe('actor id (user name of the CLI operator, admin user or client id)'),
    action: z.string().min(1).max(64).optional().describe('use case name, e.g. clients.create'),
    object: text.optional().describe('object id (client id, user id, grant id, sid, …)'),
    limit: z.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
    cursor: z.string().min(1).max(256).optional(),
    order: z.enum(['asc', 'desc']).default('desc'),
  }),
  event: null,
  handle: async (ctx, input): Promise<ListResult<AuditRecordView>> => {
    const after = input.cursor === undefined ? undefined : Number(decodeCursor(input.cursor, 'number').k);
    const filter = {
      ...(input.since === undefined ? {} : { since: input.since }),
      ...(input.until === undefined ? {} : { until: input.until }),
      ...(input.actor === undefined ? {} : { actorId: input.actor }),
      ...(input.action === undefined ? {} : { action: input.action }),
      ...(input.object === undefined ? {} : { objectId: input.object }),
    };
    // One more than asked tells whether another page follows.
    const rows = await ctx.deps.audit.list(ctx.deps.tenantId, filter, {
      limit: input.limit + 1,
      order: input.order,
      ...(after === undefined ? {} : { afterSeq: after }),
    });
    const items = rows.slice(0, input.limit);
    const last = items[items.length - 1];
    return { items: items.map(auditView), next_cursor: rows.length > input.limit && last ? encodeCursor({ k: last.seq, id: 'seq' }) : null };
  },
});

export const verifyAuditUseCase = defineUseCase({
  name: 'audit.verify',
  summary: 'Walk the hash chain: recompute every hash, check seq and prev_hash links, the head row and (optionally) a published head',
  role: 'viewer',
  input: z.strictObject({ head: headSchema.optional() }),
  event: null,
  handle: async (ctx, input) => {
    const started = ctx.deps.clock.now();
    const v = await verifyAuditChain(ctx.deps.audit, ctx.deps.tenantId, input.head);
    return { ...v, ms: ctx.deps.clock.now() - started };
  },
});

export const headAuditUseCase = defineUseCase({
  name: 'audit.head',
  summary: 'The chain head (seq and hash) to publish or write down for a later `audit verify --head`',
  role: 'viewer',
  input: z.strictObject({}),
  event: null,
  handle: async (ctx) => ctx.deps.audit.head(ctx.deps.tenantId),
});

/** Records one purge removes at most per round; a purge loops until nothing old is left. */
export const PURGE_BATCH = 10_000;

export const purgeAuditUseCase = defineUseCase({
  name: 'audit.purge',
  summary: 'Delete audit records older than `before` (epoch ms); each round appends a checkpoint so the rest still verifies',
  role: 'admin',
  input: z.strictObject({ before: z.number().int().min(0) }),
  event: 'audit.purged',
  // The purge is its own head-locked transaction per round (AuditStore.purge).
  transactional: false,
  handle: async (ctx, input) => {
    let purged = 0;
    let checkpointSeq: number | null = null;
    for (;;) {
      const r = await ctx.deps.audit.purge(
        ctx.deps.tenantId,
        input.before,
        {
          tenantId: ctx.deps.tenantId,
          time: ctx.deps.clock.now(),
          actor: { kind: ctx.actor.kind, id: ctx.actor.id },
          action: AUDIT_CHECKPOINT_ACTION,
          object: { type: 'audit', id: null },
          origin: ctx.actor.origin ?? 'unknown',
          outcome: 'success',
          errorCode: null,
          detail: { before: input.before },
        },
        PURGE_BATCH,
      );
      if (!r.checkpoint) break;
      purged += r.purged;
      checkpointSeq = r.checkpoint.seq;
      if (r.purged < PURGE_BATCH) break;
    }
    ctx.emit({ before: input.before, purged, checkpointSeq });
    return { purged, checkpoint_seq: checkpointSeq };
  },
});

export const auditUseCases = { list: listAuditUseCase, verify: verifyAuditUseCase, head: headAuditUseCase, purge: purgeAuditUseCase } as const;
