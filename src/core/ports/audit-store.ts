import type { AuditEntry, AuditHead, AuditRecord } from '../model/audit.ts';
import type { TenantId } from '../model/tenant.ts';

/** Which records a listing returns; every field narrows (AND). */
export interface AuditFilter {
  /** Epoch milliseconds, inclusive. */
  readonly since?: number;
  /** Epoch milliseconds, exclusive. */
  readonly until?: number;
  readonly actorId?: string;
  readonly action?: string;
  readonly objectId?: string;
}

export interface AuditPage {
  readonly limit: number;
  readonly order: 'asc' | 'desc';
  /** Keyset: start strictly after this seq (in `order`). */
  readonly afterSeq?: number;
}

/**
 * The tamper-evident audit log (docs/audit.md): one hash chain per tenant.
 * Adapters guarantee:
 * - `append` assigns `seq = head.seq + 1` and `prevHash = head.hash` and moves the head, all in
 *   one transaction that holds the tenant's head row locked (`SELECT … FOR UPDATE` on
 *   PostgreSQL/MariaDB, `BEGIN IMMEDIATE` on SQLite): appends from any number of processes on
 *   one database form one chain, gap-free. The hash is `auditHash` of the record.
 * - `list` pages by seq (keyset, never OFFSET), filtered in the store, never loads everything.
 * - `purge` deletes the records older than `before` (ms) and appends `checkpoint` naming the
 *   last purged seq and its hash (`detail.through_seq`, `detail.through_hash`) in the same
 *   locked transaction, so what remains still verifies. A purge never deletes the newest record
 *   without the checkpoint that replaces it.
 */
export interface AuditStore {
  append(entry: AuditEntry): Promise<AuditRecord>;
  /** The tenant's chain head; `{ seq: 0, hash: AUDIT_GENESIS_HASH }` when nothing was appended. */
  head(tenantId: TenantId): Promise<AuditHead>;
  list(tenantId: TenantId, filter: AuditFilter, page: AuditPage): Promise<AuditRecord[]>;
  /** The newest checkpoint record, or null when nothing was ever purged. */
  latestCheckpoint(tenantId: TenantId): Promise<AuditRecord | null>;
  /**
   * Deletes records with `time < before` (at most `max` per call) and appends the checkpoint
   * built from `checkpoint` (its detail gains `through_seq` and `through_hash`); returns how many
   * went and the checkpoint (null when nothing was old enough).
   */
  purge(tenantId: TenantId, before: number, checkpoint: AuditEntry, max: number): Promise<{ purged: number; checkpoint: AuditRecord | null }>;
}
