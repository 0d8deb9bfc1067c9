import { sql, type Kysely, type Migration } from 'kysely';
import type { Database, SqlKind } from '../sql/schema.ts';
import { addColumn, backfillSessionSids } from './0004-admin-lists.ts';

/** Rows a backfill step reads at once. */
const BACKFILL_BATCH = 500;

/** The claim a pairwise token carries its sealed user id in (src/core/tokens/user-token-claims.ts). */
const SEALED_USER_CLAIM = 'sealed_uid';

/**
 * Issue #13 leftovers:
 * - tokens.user_id for tokens issued before 0004, so listing and revoking a user's grants
 *   (`users.revoke_grants`, `users.disable`, …) reach them. Found per token, for user tokens only
 *   (their stored claims carry `auth_time`; client_credentials tokens stay NULL): a token of the
 *   same grant that already has one; else the `sub` itself when it is public (no sealed user id:
 *   the public `sub` IS the user id); else, for a pairwise `sub` (whose user id is sealed under
 *   the KEK, which a migration does not hold), the user of the sign-in session named by its `sid`,
 *   or of the authorization or device code of its grant. The user id found is written to every
 *   token of that grant still lacking one. What none of these finds stays NULL and expires.
 * - session_sids.user_id/auth_time (0004's other column): its backfill runs again for rows still
 *   NULL, in case any were written by an older instance while 0004 was being rolled out.
 * - users.signin_epoch: the per-user sign-in generation the sign-in limiter puts in its per-user
 *   keys, so `gatehouse users unlock` (which bumps it in the store) reaches the counters of every
 *   process, also without Redis (docs/security.md "Sign-in throttling").
 * Bounded batches, keyset-paged; idempotent (NULL rows only, ADD COLUMN only when missing).
 */
export function userHardeningMigration(kind: SqlKind): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await addColumn(db, kind, 'users', 'signin_epoch', sql`integer not null default 0`);
      await backfillTokenUsers(db as Kysely<Database>);
      await backfillSessionSids(db as Kysely<Database>);
    },
  };
}

type Row = { tenant_id: string; hash: string; grant_id: string; subject: string; claims: string };

async function backfillTokenUsers(db: Kysely<Database>): Promise<void> {
  for (let after: { t: string; h: string } | undefined; ; ) {
    const from = after;
    let q = db.selectFrom('tokens').select(['tenant_id', 'hash', 'grant_id', 'subject', 'claims']).where('user_id', 'is', null);
    if (from) q = q.where((eb) => eb.or([eb('tenant_id', '>', from.t), eb.and([eb('tenant_id', '=', from.t), eb('hash', '>', from.h)])]));
    const rows: Row[] = await q.orderBy('tenant_id').orderBy('hash').limit(BACKFILL_BATCH).execute();
    for (const r of rows) {
      const userId = await userOf(db, r);
      if (userId === null) continue;
      await db
        .updateTable('tokens')
        .set({ user_id: userId })
        .where('tenant_id', '=', r.tenant_id)
        .where('grant_id', '=', r.grant_id)
        .where('user_id', 'is', null)
        .execute();
    }
    if (rows.length < BACKFILL_BATCH) return;
    const last = rows[rows.length - 1]!;
    after = { t: last.tenant_id, h: last.hash };
  }
}

function parse(json: string): Record<string, unknown> {
  try {
    const v = JSON.parse(json) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

async function userOf(db: Kysely<Database>, r: Row): Promise<string | null> {
  const claims = parse(r.claims);
  // Only tokens a user authorised carry the sign-in time; client_credentials tokens do not.
  if (typeof claims['auth_time'] !== 'number') return null;
  const sibling = await db
    .selectFrom('tokens')
    .select('user_id')
    .where('tenant_id', '=', r.tenant_id)
    .where('grant_id', '=', r.grant_id)
    .where('user_id', 'is not', null)
    .limit(1)
    .executeTakeFirst();
  if (sibling?.user_id) return sibling.user_id;
  if (claims[SEALED_USER_CLAIM] === undefined) return r.subject;
  if (typeof claims['sid'] === 'string') {
    const s = await db
      .selectFrom('session_sids')
      .select('user_id')
      .where('tenant_id', '=', r.tenant_id)
      .where('sid', '=', claims['sid'])
      .where('user_id', 'is not', null)
      .limit(1)
      .executeTakeFirst();
    if (s?.user_id) return s.user_id;
  }
  const code = await db
    .selectFrom('authorization_codes')
    .select('auth')
    .where('tenant_id', '=', r.tenant_id)
    .where('grant_id', '=', r.grant_id)
    .limit(1)
    .executeTakeFirst();
  const device = code
    ? undefined
    : await db.selectFrom('device_codes').select('auth').where('tenant_id', '=', r.tenant_id).where('grant_id', '=', r.grant_id).limit(1).executeTakeFirst();
  const auth = parse(code?.auth ?? device?.auth ?? 'null');
  return typeof auth['userId'] === 'string' ? auth['userId'] : null;
}
