import type { EventPublisher } from '../events.ts';
import { AUDIT_CHECKPOINT_ACTION, type AuditHead } from '../model/audit.ts';
import type { TenantId } from '../model/tenant.ts';
import type { AuditStore } from '../ports/audit-store.ts';
import type { Clock } from '../ports/clock.ts';

/** Records one retention round deletes at most (one transaction each). */
export const RETENTION_BATCH = 10_000;

/**
 * Reads the chain head and publishes it (`audit.head_published`: the event sinks, the
 * `gatehouse_audit_head_seq` gauge and the log line subscribe), so that removing the newest
 * records together with the head row is detectable later with `gatehouse audit verify --head`.
 */
export async function publishAuditHead(deps: { audit: AuditStore; events: EventPublisher; tenantId: TenantId }): Promise<AuditHead> {
  const head = await deps.audit.head(deps.tenantId);
  deps.events.publish('audit.head_published', { tenantId: deps.tenantId, seq: head.seq, hash: head.hash });
  return head;
}

/**
 * `audit.retentionDays`: deletes records older than that many days, each round leaving a
 * checkpoint by the `system` actor; 0 keeps everything. Returns how many went.
 */
export async function purgeAuditRetention(deps: { audit: AuditStore; clock: Clock; tenantId: TenantId }, retentionDays: number): Promise<number> {
  if (retentionDays <= 0) return 0;
  const now = deps.clock.now();
  const before = now - retentionDays * 86_400_000;
  let purged = 0;
  for (;;) {
    const r = await deps.audit.purge(
      deps.tenantId,
      before,
      {
        tenantId: deps.tenantId,
        time: now,
        actor: { kind: 'system', id: 'retention' },
        action: AUDIT_CHECKPOINT_ACTION,
        object: { type: 'audit', id: null },
        origin: 'system',
        outcome: 'success',
        errorCode: null,
        detail: { before, retention_days: retentionDays },
      },
      RETENTION_BATCH,
    );
    purged += r.purged;
    if (!r.checkpoint || r.purged < RETENTION_BATCH) return purged;
  }
}
