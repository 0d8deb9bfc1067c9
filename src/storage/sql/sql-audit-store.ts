import type { Kysely, Selectable, Transaction } from 'kysely';
import {
  AUDIT_CHECKPOINT_ACTION,
  AUDIT_GENESIS_HASH,
  canonicalJson,
  chainRecord,
  type AuditActorKind,
  type AuditEntry,
  type AuditHead,
  type AuditOutcome,
  type AuditRecord,
} from '../../core/model/audit.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { AuditFilter, AuditPage, AuditStore } from '../../core/ports/audit-store.ts';
import type { AuditLogTable, Database, SqlKind } from './schema.ts';
import { isUniqueViolation, retryOnDeadlock } from './sql-errors.ts';

function decode(r: Selectable<AuditLogTable>): AuditRecord {
  return {
    tenantId: r.tenant_id,
    seq: Number(r.seq),
    time: Number(r.at),
    actor: { kind: r.actor_kind as AuditActorKind, id: r.actor_id },
    action: r.action,
    object: { type: r.object_type, id: r.object_id },
    origin: r.origin,
    outcome: r.outcome as AuditOutcome,
    errorCode: r.error_code,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function encode(r: AuditRecord): AuditLogTable {
  return {
    tenant_id: r.tenantId,
    seq: r.seq,
    at: r.time,
    actor_kind: r.actor.kind,
    actor_id: r.actor.id,
    action: r.action,
    object_type: r.object.type,
    object_id: r.object.id,
    origin: r.origin,
    outcome: r.outcome,
    error_code: r.errorCode,
    detail: canonicalJson(r.detail),
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

/** Thrown inside a transaction when the tenant has no head row yet: it is created outside, then the work runs again. */
const NO_HEAD = Symbol('no audit head');

/**
 * The hash chain in SQL. Every write is one transaction that first locks the tenant's row in
 * `audit_heads`: `SELECT … FOR UPDATE` on PostgreSQL and MariaDB (a second appender, in any
 * process, waits there until the first commits and then reads the moved head), `BEGIN
 * IMMEDIATE` on SQLite (the transaction holds the database write lock from its start). So
 * seq is gap-free and each record's prev_hash is its predecessor's hash. A deadlock victim
 * (InnoDB gap locks) is rolled back whole and runs again (retryOnDeadlock).
 */
export class SqlAuditStore implements AuditStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  constructor(db: Kysely<Database>, kind: SqlKind) {
    this.#db = db;
    this.#kind = kind;
  }

  async #lockedHead(trx: Transaction<Database>, tenantId: TenantId): Promise<AuditHead> {
    const row = await trx
      .selectFrom('audit_heads')
      .select(['seq', 'hash'])
      .where('tenant_id', '=', tenantId)
      .$if(this.#kind !== 'sqlite', (q) => q.forUpdate())
      .executeTakeFirst();
    if (!row) throw NO_HEAD;
    return { seq: Number(row.seq), hash: row.hash };
  }

  async #insert(trx: Transaction<Database>, entry: AuditEntry, head: AuditHead): Promise<AuditRecord> {
    const rec = chainRecord(entry, head);
    await trx.insertInto('audit_log').values(encode(rec)).execute();
    await trx.updateTable('audit_heads').set({ seq: rec.seq, hash: rec.hash }).where('tenant_id', '=', entry.tenantId).execute();
    return rec;
  }

  /** Runs `work` in a head-locked transaction; creates the head row first when it is missing. */
  async #locked<T>(tenantId: TenantId, work: (trx: Transaction<Database>, head: AuditHead) => Promise<T>): Promise<T> {
    if (this.#db.isTransaction) return this.#lockedInUnit(this.#db as Transaction<Database>, tenantId, work);
    for (let attempt = 0; ; attempt++) {
      try {
        return await retryOnDeadlock(this.#kind, () => this.#db.transaction().execute(async (trx) => work(trx, await this.#lockedHead(trx, tenantId))));
      } catch (e) {
        if (e !== NO_HEAD || attempt > 0) throw e === NO_HEAD ? new Error('audit head row missing after creating it') : e;
        try {
          await this.#db.insertInto('audit_heads').values({ tenant_id: tenantId, seq: 0, hash: AUDIT_GENESIS_HASH }).execute();
        } catch (err) {
          // Another process created it first: fine, it is there now.
          if (!isUniqueViolation(this.#kind, err)) throw err;
        }
      }
    }
  }

  /**
   * Built over a unit of work's transaction (sql-unit-of-work.ts): the head is locked in it and
   * stays locked until the unit commits or rolls back, so the record's seq and prev_hash are
   * those of the head at commit. A missing head row is created in the same transaction,
   * insert-if-absent: a concurrent creator's uncommitted row makes the insert wait for it.
   */
  async #lockedInUnit<T>(trx: Transaction<Database>, tenantId: TenantId, work: (trx: Transaction<Database>, head: AuditHead) => Promise<T>): Promise<T> {
    let head: AuditHead;
    try {
      head = await this.#lockedHead(trx, tenantId);
    } catch (e) {
      if (e !== NO_HEAD) throw e;
      const row = trx.insertInto('audit_heads').values({ tenant_id: tenantId, seq: 0, hash: AUDIT_GENESIS_HASH });
      await (this.#kind === 'mysql' ? row.ignore() : row.onConflict((oc) => oc.doNothing())).execute();
      head = await this.#lockedHead(trx, tenantId);
    }
    return work(trx, head);
  }

  append(entry: AuditEntry): Promise<AuditRecord> {
    return this.#locked(entry.tenantId, (trx, head) => this.#insert(trx, entry, head));
  }

  async head(tenantId: TenantId): Promise<AuditHead> {
    const row = await this.#db.selectFrom('audit_heads').select(['seq', 'hash']).where('tenant_id', '=', tenantId).executeTakeFirst();
    return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: AUDIT_GENESIS_HASH };
  }

  async list(tenantId: TenantId, f: AuditFilter, page: AuditPage): Promise<AuditRecord[]> {
    const asc = page.order === 'asc';
    const rows = await this.#db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .$if(page.afterSeq !== undefined, (q) => q.where('seq', asc ? '>' : '<', page.afterSeq!))
      .$if(f.since !== undefined, (q) => q.where('at', '>=', f.since!))
      .$if(f.until !== undefined, (q) => q.where('at', '<', f.until!))
      .$if(f.actorId !== undefined, (q) => q.where('actor_id', '=', f.actorId!))
      .$if(f.action !== undefined, (q) => q.where('action', '=', f.action!))
      .$if(f.objectId !== undefined, (q) => q.where('object_id', '=', f.objectId!))
      .orderBy('seq', asc ? 'asc' : 'desc')
      .limit(page.limit)
      .execute();
    return rows.map(decode);
  }

  async latestCheckpoint(tenantId: TenantId): Promise<AuditRecord | null> {
    const [r] = await this.list(tenantId, { action: AUDIT_CHECKPOINT_ACTION }, { limit: 1, order: 'desc' });
    return r ?? null;
  }

  purge(tenantId: TenantId, before: number, checkpoint: AuditEntry, max: number): Promise<{ purged: number; checkpoint: AuditRecord | null }> {
    return this.#locked(tenantId, async (trx, head) => {
      const first = await trx
        .selectFrom('audit_log')
        .select((eb) => eb.fn.min('seq').as('s'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      if (first?.s === null || first?.s === undefined) return { purged: 0, checkpoint: null };
      const cap = Number(first.s) + max - 1;
      // The purged part is always a prefix of the chain: everything up to the newest old record.
      const last = await trx
        .selectFrom('audit_log')
        .select(['seq', 'hash'])
        .where('tenant_id', '=', tenantId)
        .where('at', '<', before)
        .where('seq', '<=', cap)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!last) return { purged: 0, checkpoint: null };
      const through = Number(last.seq);
      const del = await trx.deleteFrom('audit_log').where('tenant_id', '=', tenantId).where('seq', '<=', through).executeTakeFirst();
      const rec = await this.#insert(trx, { ...checkpoint, detail: { ...checkpoint.detail, through_seq: through, through_hash: last.hash } }, head);
      return { purged: Number(del.numDeletedRows), checkpoint: rec };
    });
  }
}
