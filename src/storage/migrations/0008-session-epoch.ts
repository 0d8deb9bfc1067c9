import { sql, type Migration } from 'kysely';
import type { SqlKind } from '../sql/schema.ts';
import { addColumn } from './0004-admin-lists.ts';

/**
 * users.session_epoch: the per-user session generation (docs/console.md "Ending a console
 * session"). The console's sealed session cookie carries the generation it was issued under; the
 * console refuses a cookie whose generation is not the user's current one. Ending every session of
 * the user (`sessions.end_all`), a new password and disabling the user change it, so every console
 * session of that person ends at its next request, on every instance, with nothing else stored.
 * A column of its own, not `signin_epoch` (0007): `users.unlock` changes that one to reset the
 * sign-in counters, which must not sign the person out, and a password change must not reset the
 * counters. Idempotent (ADD COLUMN only when missing); existing rows start at 0.
 */
export function sessionEpochMigration(kind: SqlKind): Migration {
  return {
    async up(db): Promise<void> {
      await addColumn(db, kind, 'users', 'session_epoch', sql`integer not null default 0`);
    },
  };
}
