import { GatehouseError } from '../../core/errors.ts';
import type { SqlKind } from './schema.ts';

interface DriverError {
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly message?: unknown;
  readonly errors?: unknown;
}

const asDriverError = (e: unknown): DriverError => (typeof e === 'object' && e !== null ? e : {});

/** A primary-key or unique-index violation, in the words of each driver. */
export function isUniqueViolation(kind: SqlKind, e: unknown): boolean {
  const { code, errno } = asDriverError(e);
  if (kind === 'sqlite') return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
  if (kind === 'postgres') return code === '23505';
  return code === 'ER_DUP_ENTRY' || errno === 1062;
}

/** The database aborted this transaction to break a deadlock (another writer went ahead). */
export function isDeadlock(kind: SqlKind, e: unknown): boolean {
  const { code, errno } = asDriverError(e);
  if (kind === 'postgres') return code === '40P01' || code === '40001';
  if (kind === 'mysql') return code === 'ER_LOCK_DEADLOCK' || errno === 1213;
  return false;
}

/** How often work the database aborted to break a deadlock is tried again before the error stands. */
export const DEADLOCK_RETRIES = 3;

/**
 * Runs `work` (a whole transaction or a self-contained sequence of statements) and runs it again
 * when the database chose it as a deadlock victim: the victim's statements were rolled back, so
 * repeating them is safe as long as `work` decides everything from what it reads.
 */
export async function retryOnDeadlock<T>(kind: SqlKind, work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (e) {
      if (!isDeadlock(kind, e) || attempt >= DEADLOCK_RETRIES) throw e;
    }
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  // mysql2 / MariaDB
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  // better-sqlite3
  'SQLITE_CANTOPEN',
  'SQLITE_BUSY',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
]);
// PostgreSQL SQLSTATE: class 08 connection exception, 57P01-03 shutdown / cannot connect now,
// 53300 too many connections.
const PG_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;
const PG_LOST = /Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end/i;

function unavailableCode(kind: SqlKind, e: unknown): string | undefined {
  const err = asDriverError(e);
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (code && (NETWORK_CODES.has(code) || code.startsWith('SQLITE_IOERR'))) return code;
  if (kind === 'postgres' && code && PG_UNAVAILABLE.test(code)) return code;
  if (kind === 'postgres' && typeof err.message === 'string' && PG_LOST.test(err.message)) return 'connection lost';
  if (Array.isArray(err.errors))
    for (const inner of err.errors) {
      const c = unavailableCode(kind, inner);
      if (c) return c;
    }
  return undefined;
}

const LABEL: Record<SqlKind, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MySQL/MariaDB' };

/**
 * Turns "the database cannot be reached" into `GH_STORE_UNAVAILABLE` (readiness and the HTTP
 * layer answer 503 for it); every other error passes through unchanged. The message names the
 * driver's code only: driver messages may quote SQL or connection settings.
 */
export function mapStoreError(kind: SqlKind, e: unknown): unknown {
  if (e instanceof GatehouseError) return e;
  // PostgreSQL cannot hold a NUL (or a character its encoding lacks) in a text value: input no row
  // can match or store, refused as such instead of a 500 (22021 character_not_in_repertoire,
  // 22P05 untranslatable_character).
  const sqlState = asDriverError(e).code;
  if (kind === 'postgres' && (sqlState === '22021' || sqlState === '22P05')) {
    const err = new GatehouseError('GH_INVALID_INPUT', 'a value contains a character the store cannot hold (a NUL)');
    Object.defineProperty(err, 'cause', { value: e, enumerable: false });
    return err;
  }
  const code = unavailableCode(kind, e);
  if (!code) return e;
  const err = new GatehouseError('GH_STORE_UNAVAILABLE', `${LABEL[kind]} store unavailable (${code})`);
  Object.defineProperty(err, 'cause', { value: e, enumerable: false });
  return err;
}
