// Real databases for tests: each call creates its own fresh database (gh_test_<random>) on the
// PostgreSQL / MariaDB server, so parallel test files never collide, and drops it afterwards.
// When a server is unreachable the test skips with the reason printed, except in CI or with
// GATEHOUSE_TEST_REQUIRE_BACKENDS=1, where it fails: nothing skips silently (S14).
import { randomBytes } from 'node:crypto';

export type TestDatabaseKind = 'postgres' | 'mysql';

export type TestDatabase = { readonly url: string; drop(): Promise<void> } | { readonly skip: string };

const DEFAULT_URL: Record<TestDatabaseKind, string> = {
  postgres: 'postgres://postgres@127.0.0.1:5432/test',
  mysql: 'mysql://root@127.0.0.1:3306/test',
};
const LABEL: Record<TestDatabaseKind, string> = { postgres: 'PostgreSQL', mysql: 'MariaDB/MySQL' };

/** True when an unreachable backend must fail the run instead of skipping (CI). */
export function backendRequired(): boolean {
  return process.env.CI === 'true' || process.env.GATEHOUSE_TEST_REQUIRE_BACKENDS === '1';
}

/** The server URL tests use (GATEHOUSE_TEST_POSTGRES_URL / GATEHOUSE_TEST_MYSQL_URL override). */
export function adminUrl(kind: TestDatabaseKind): string {
  const env = kind === 'postgres' ? process.env.GATEHOUSE_TEST_POSTGRES_URL : process.env.GATEHOUSE_TEST_MYSQL_URL;
  return env || DEFAULT_URL[kind];
}

/** Creates `gh_test_<random>` on the server; returns its URL, or why the test must skip. */
export async function createTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  const admin = new URL(adminUrl(kind));
  const name = `gh_test_${randomBytes(6).toString('hex')}`;
  try {
    await runAdmin(kind, admin, [kind === 'postgres' ? `create database ${name}` : `create database ${name} character set utf8mb4 collate utf8mb4_bin`]);
  } catch (e) {
    const reason = `${LABEL[kind]} not reachable at ${admin.host}: ${describe(e)}`;
    if (backendRequired()) throw new Error(`${reason} (required: CI=true or GATEHOUSE_TEST_REQUIRE_BACKENDS=1)`);
    return { skip: reason };
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => runAdmin(kind, admin, [kind === 'postgres' ? `drop database if exists ${name} with (force)` : `drop database if exists ${name}`]),
  };
}

async function runAdmin(kind: TestDatabaseKind, admin: URL, statements: string[]): Promise<void> {
  if (kind === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      for (const s of statements) await client.query(s);
    } finally {
      await client.end();
    }
    return;
  }
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({ uri: admin.toString().replace(/^mariadb:/, 'mysql:'), connectTimeout: 5000 });
  try {
    for (const s of statements) await conn.query(s);
  } finally {
    await conn.end();
  }
}

function describe(e: unknown): string {
  if (e && typeof e === 'object') {
    const { code, message, errors } = e as { code?: unknown; message?: unknown; errors?: unknown };
    if (!message && Array.isArray(errors) && errors.length) return describe(errors[0]);
    return [code, message].filter((x) => typeof x === 'string' && x).join(' ') || String(e);
  }
  return String(e);
}
