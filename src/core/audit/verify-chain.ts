import { AUDIT_GENESIS_HASH, auditHash, type AuditHead, type AuditRecord } from '../model/audit.ts';
import type { TenantId } from '../model/tenant.ts';
import type { AuditStore } from '../ports/audit-store.ts';

export type AuditVerification =
  | {
      readonly ok: true;
      /** Records checked. */
      readonly records: number;
      /** The oldest record kept (1 unless a retention purge removed older ones); null when empty. */
      readonly firstSeq: number | null;
      readonly head: AuditHead;
    }
  | {
      readonly ok: false;
      /** The first seq that does not verify. */
      readonly seq: number;
      readonly problem: string;
      readonly records: number;
    };

/** Records read per page while walking the chain. */
export const VERIFY_BATCH = 500;

/**
 * Walks a tenant's chain from its oldest kept record to the head (docs/audit.md):
 * - the oldest record is seq 1 after the genesis hash, or continues the newest retention
 *   checkpoint (`through_seq` + 1, prev_hash = `through_hash`);
 * - every record's seq is its predecessor's + 1 (a deleted record is a gap), its prev_hash is its
 *   predecessor's hash and its hash recomputes (an edited or reordered record does not);
 * - the stored head row names the last record (deleting the newest records shows here, unless the
 *   head row was rewritten too: `expected`, a head published earlier, catches that).
 */
export async function verifyAuditChain(store: AuditStore, tenantId: TenantId, expected?: AuditHead): Promise<AuditVerification> {
  let records = 0;
  const fail = (seq: number, problem: string): AuditVerification => ({ ok: false, seq, problem, records });
  const checkpoint = await store.latestCheckpoint(tenantId);
  const head = await store.head(tenantId);
  let prev: { seq: number; hash: string } | null = null;
  let firstSeq: number | null = null;
  let expectedSeen = expected === undefined || expected.seq === 0;

  for (let after: number | undefined; ; ) {
    const page: AuditRecord[] = await store.list(tenantId, {}, { limit: VERIFY_BATCH, order: 'asc', ...(after === undefined ? {} : { afterSeq: after }) });
    for (const r of page) {
      if (prev === null) {
        firstSeq = r.seq;
        const through = checkpoint ? Number(checkpoint.detail['through_seq']) : 0;
        const throughHash = checkpoint ? String(checkpoint.detail['through_hash']) : AUDIT_GENESIS_HASH;
        if (r.seq !== through + 1) {
          return fail(
            through + 1,
            `record ${through + 1} is missing: the chain starts at seq ${r.seq}` +
              (checkpoint
                ? ` but the newest checkpoint (seq ${checkpoint.seq}) purged through ${through}`
                : ' and no retention checkpoint covers the records before it'),
          );
        }
        if (r.prevHash !== throughHash)
          return fail(r.seq, `prev_hash of seq ${r.seq} does not match ${checkpoint ? `the checkpoint's through_hash` : 'the genesis hash'}`);
        if (expected && expected.seq <= through && expected.seq > 0) {
          if (expected.seq !== through) return fail(expected.seq, `the published head seq ${expected.seq} was purged; verify against a newer head`);
          if (expected.hash !== throughHash) return fail(expected.seq, `published head ${expected.seq} does not match the checkpoint's through_hash`);
          expectedSeen = true;
        }
      } else {
        if (r.seq !== prev.seq + 1) return fail(prev.seq + 1, `record ${prev.seq + 1} is missing (seq ${prev.seq} is followed by ${r.seq})`);
        if (r.prevHash !== prev.hash) return fail(r.seq, `prev_hash of seq ${r.seq} is not the hash of seq ${prev.seq}`);
      }
      const { hash, ...rest } = r;
      if (auditHash(rest) !== hash) return fail(r.seq, `record ${r.seq} was changed: its hash does not match its contents`);
      if (expected && r.seq === expected.seq) {
        if (r.hash !== expected.hash) return fail(r.seq, `record ${r.seq} does not have the published head hash`);
        expectedSeen = true;
      }
      records++;
      prev = { seq: r.seq, hash: r.hash };
    }
    if (page.length < VERIFY_BATCH) break;
    after = page[page.length - 1]!.seq;
  }

  const last = prev ?? { seq: 0, hash: AUDIT_GENESIS_HASH };
  if (head.seq > last.seq) return fail(last.seq + 1, `records ${last.seq + 1}…${head.seq} are missing: the chain head is seq ${head.seq}`);
  if (head.seq !== last.seq || head.hash !== last.hash)
    return fail(last.seq, `the chain head (seq ${head.seq}) does not match the newest record (seq ${last.seq})`);
  if (!expectedSeen) return fail(last.seq + 1, `the chain ends at seq ${last.seq}, before the published head seq ${expected!.seq}: newer records were removed`);
  return { ok: true, records, firstSeq, head };
}
