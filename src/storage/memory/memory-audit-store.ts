import { AUDIT_CHECKPOINT_ACTION, AUDIT_GENESIS_HASH, chainRecord, type AuditEntry, type AuditHead, type AuditRecord } from '../../core/model/audit.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { AuditFilter, AuditPage, AuditStore } from '../../core/ports/audit-store.ts';

interface Chain {
  head: AuditHead;
  /** Ascending by seq. */
  records: AuditRecord[];
}

const matches = (r: AuditRecord, f: AuditFilter) =>
  (f.since === undefined || r.time >= f.since) &&
  (f.until === undefined || r.time < f.until) &&
  (f.actorId === undefined || r.actor.id === f.actorId) &&
  (f.action === undefined || r.action === f.action) &&
  (f.objectId === undefined || r.object.id === f.objectId);

/** One process, one chain per tenant: appends are synchronous, so they never interleave. */
export class MemoryAuditStore implements AuditStore {
  readonly #chains = new Map<TenantId, Chain>();

  #chain(tenantId: TenantId): Chain {
    let c = this.#chains.get(tenantId);
    if (!c) this.#chains.set(tenantId, (c = { head: { seq: 0, hash: AUDIT_GENESIS_HASH }, records: [] }));
    return c;
  }

  #append(entry: AuditEntry): AuditRecord {
    const c = this.#chain(entry.tenantId);
    const rec = chainRecord(structuredClone(entry), c.head);
    c.records.push(rec);
    c.head = { seq: rec.seq, hash: rec.hash };
    return structuredClone(rec);
  }

  async append(entry: AuditEntry): Promise<AuditRecord> {
    return this.#append(entry);
  }

  async head(tenantId: TenantId): Promise<AuditHead> {
    return { ...this.#chain(tenantId).head };
  }

  async list(tenantId: TenantId, filter: AuditFilter, page: AuditPage): Promise<AuditRecord[]> {
    const rs = this.#chain(tenantId).records;
    const ordered = page.order === 'asc' ? rs : [...rs].reverse();
    const out: AuditRecord[] = [];
    for (const r of ordered) {
      if (page.afterSeq !== undefined && (page.order === 'asc' ? r.seq <= page.afterSeq : r.seq >= page.afterSeq)) continue;
      if (!matches(r, filter)) continue;
      out.push(structuredClone(r));
      if (out.length >= page.limit) break;
    }
    return out;
  }

  async latestCheckpoint(tenantId: TenantId): Promise<AuditRecord | null> {
    const rs = this.#chain(tenantId).records;
    for (let i = rs.length - 1; i >= 0; i--) if (rs[i]!.action === AUDIT_CHECKPOINT_ACTION) return structuredClone(rs[i]!);
    return null;
  }

  async purge(tenantId: TenantId, before: number, checkpoint: AuditEntry, max: number): Promise<{ purged: number; checkpoint: AuditRecord | null }> {
    const c = this.#chain(tenantId);
    let last = -1;
    for (let i = 0; i < c.records.length && i < max; i++) if (c.records[i]!.time < before) last = i;
    if (last < 0) return { purged: 0, checkpoint: null };
    const through = c.records[last]!;
    c.records.splice(0, last + 1);
    const rec = this.#append({ ...checkpoint, detail: { ...checkpoint.detail, through_seq: through.seq, through_hash: through.hash } });
    return { purged: last + 1, checkpoint: rec };
  }
}
