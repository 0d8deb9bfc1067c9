import type { Insertable, Kysely, Selectable } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { KeyStatus, SigningAlg, SigningKeyRecord } from '../../core/model/key.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { KeyStore, RotateCommand } from '../../core/ports/key-store.ts';
import type { Database, SigningKeysTable, SqlKind } from './schema.ts';
import { isDeadlock, isUniqueViolation } from './sql-errors.ts';

const slot = (alg: string, status: KeyStatus) => (status === 'retired' ? null : `${alg}:${status}`);

function encode(k: SigningKeyRecord): Insertable<SigningKeysTable> {
  return {
    tenant_id: k.tenantId,
    kid: k.kid,
    alg: k.alg,
    status: k.status,
    live_slot: slot(k.alg, k.status),
    public_jwk: JSON.stringify(k.publicJwk),
    private_jwk_encrypted: k.privateJwkEncrypted,
    created_at: k.createdAt,
    activated_at: k.activatedAt,
    retires_at: k.retiresAt,
  };
}

function decode(r: Selectable<SigningKeysTable>): SigningKeyRecord {
  return {
    tenantId: r.tenant_id,
    kid: r.kid,
    alg: r.alg as SigningAlg,
    status: r.status as KeyStatus,
    publicJwk: JSON.parse(r.public_jwk) as Record<string, unknown>,
    privateJwkEncrypted: r.private_jwk_encrypted,
    createdAt: r.created_at,
    activatedAt: r.activated_at,
    retiresAt: r.retires_at,
  };
}

/** Thrown inside the rotation transaction to roll it back when the compare fails. */
const LOST = Symbol('rotation lost');

export class SqlKeyStore implements KeyStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  constructor(db: Kysely<Database>, kind: SqlKind) {
    this.#db = db;
    this.#kind = kind;
  }

  async list(tenantId: TenantId): Promise<SigningKeyRecord[]> {
    const rows = await this.#db.selectFrom('signing_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('kid').execute();
    return rows.map(decode);
  }

  async insert(key: SigningKeyRecord): Promise<void> {
    try {
      await this.#db.insertInto('signing_keys').values(encode(key)).execute();
    } catch (e) {
      if (isUniqueViolation(this.#kind, e)) {
        throw new GatehouseError('GH_CONFLICT', `signing key ${key.kid} exists, or ${key.alg} already has a ${key.status} key`);
      }
      throw e;
    }
  }

  /**
   * One transaction. The compare is the first write: retiring the expected active key with
   * `WHERE kid = expected AND live_slot = '<alg>:active'`. A concurrent rotation blocks on that
   * row's lock and, once the winner commits, re-reads it as retired and matches nothing, so it
   * rolls back (PostgreSQL re-checks the WHERE on the new row version, InnoDB's UPDATE reads the
   * latest committed version, SQLite writers are serialised by BEGIN IMMEDIATE). With no
   * expected key (bootstrap) nothing can be locked; there the unique (tenant_id, live_slot)
   * index is the arbiter: a second writer's new `next` key collides and its transaction rolls
   * back. A deadlock victim likewise lost to a concurrent rotation.
   */
  async rotate(cmd: RotateCommand): Promise<boolean> {
    const { tenantId, alg } = cmd;
    try {
      return await this.#db.transaction().execute(async (trx) => {
        if (cmd.expectedActiveKid !== null) {
          const retired = await trx
            .updateTable('signing_keys')
            .set({ status: 'retired', live_slot: null, retires_at: cmd.retiresAt })
            .where('tenant_id', '=', tenantId)
            .where('kid', '=', cmd.expectedActiveKid)
            .where('live_slot', '=', slot(alg, 'active'))
            .executeTakeFirst();
          if (retired.numUpdatedRows !== 1n) throw LOST;
        } else {
          const active = await trx
            .selectFrom('signing_keys')
            .select('kid')
            .where('tenant_id', '=', tenantId)
            .where('live_slot', '=', slot(alg, 'active'))
            .executeTakeFirst();
          if (active) throw LOST;
        }
        await trx
          .updateTable('signing_keys')
          .set({ status: 'active', live_slot: slot(alg, 'active'), activated_at: cmd.at })
          .where('tenant_id', '=', tenantId)
          .where('live_slot', '=', slot(alg, 'next'))
          .execute();
        await trx
          .insertInto('signing_keys')
          .values(encode({ ...cmd.newNext, tenantId, status: 'next' }))
          .execute();
        return true;
      });
    } catch (e) {
      if (e === LOST || isUniqueViolation(this.#kind, e) || isDeadlock(this.#kind, e)) return false;
      throw e;
    }
  }

  /** One UPDATE whose WHERE is the compare: the expected ciphertext must still be there. */
  async reseal(tenantId: TenantId, kid: string, expected: string, sealed: string): Promise<boolean> {
    const r = await this.#db
      .updateTable('signing_keys')
      .set({ private_jwk_encrypted: sealed })
      .where('tenant_id', '=', tenantId)
      .where('kid', '=', kid)
      .where('private_jwk_encrypted', '=', expected)
      .executeTakeFirst();
    return r.numUpdatedRows === 1n;
  }

  async purgeRetired(tenantId: TenantId, before: number): Promise<number> {
    const r = await this.#db
      .deleteFrom('signing_keys')
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'retired')
      .where('retires_at', '<', before)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
