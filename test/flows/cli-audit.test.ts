/**
 * `gatehouse audit …` through the real CLI entry point (`main`) against a real SQLite file:
 * operator commands leave audit records (docs/audit.md); the listing filters and pages; bad time
 * input exits 2; `audit verify` detects an edited record, a deleted record, and (with --head) the
 * newest records removed together with the head row; purge keeps the chain verifiable.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/types.ts';
import type { Database } from '../../src/storage/sql/schema.ts';
import { openSql } from '../../src/storage/sql/sql-connect.ts';
import type { Kysely } from 'kysely';

let dir: string;
let file: string;
let env: Record<string, string>;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gh-cli-audit-'));
  file = join(dir, 'g.db');
  env = { GATEHOUSE_DATABASE_URL: `sqlite:${file}`, GATEHOUSE_DATA_DIR: dir, GATEHOUSE_KEK: randomBytes(32).toString('base64'), USER: 'ops' };
});
after(() => rm(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  out: string;
  err: string;
}
async function gh(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => 'correct horse battery\n', env };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const lines = (r: Run) => {
  assert.equal(r.code, 0, r.err);
  return r.out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
};
async function sqlite(work: (db: Kysely<Database>) => Promise<unknown>): Promise<void> {
  const conn = await openSql({ kind: 'sqlite', location: file, poolSize: 1 });
  try {
    await work(conn.db);
  } finally {
    await conn.close();
  }
}

let clientId: string;

test('operator commands write audit records: the CLI actor is the OS user, the origin cli:<host>, failures included', async () => {
  const c = await gh('clients', 'create', '--name', 'Svc', '--grant-types', 'client_credentials', '--json');
  assert.equal(c.code, 0, c.err);
  clientId = JSON.parse(c.out).client_id;
  assert.equal((await gh('users', 'create', '--username', 'alice', '--password-stdin', '--json')).code, 0);
  assert.equal((await gh('clients', 'disable', 'no-such-client')).code, 1);
  assert.equal((await gh('clients', 'list', '--json')).code, 0, 'a read, not audited');
  const recs = lines(await gh('audit', '--json', '--asc'));
  assert.deepEqual(
    recs.map((r) => [r.seq, r.action, r.outcome, r.error_code]),
    [
      [1, 'clients.create', 'success', null],
      [2, 'users.create', 'success', null],
      [3, 'clients.disable', 'failed', 'GH_NOT_FOUND'],
    ],
  );
  assert.deepEqual(recs[0]!.actor, { kind: 'cli', id: 'ops' });
  assert.equal(recs[0]!.origin, `cli:${hostname()}`);
  assert.deepEqual(recs[0]!.object, { type: 'client', id: clientId });
  assert.equal(recs[1]!.prev_hash, recs[0]!.hash);
});

test('audit filters by --action, --object, --actor and --since; newest first; --limit pages with a cursor', async () => {
  assert.deepEqual(
    lines(await gh('audit', '--action', 'users.create', '--json')).map((r) => r.seq),
    [2],
  );
  assert.deepEqual(
    lines(await gh('audit', '--object', clientId, '--json')).map((r) => r.seq),
    [1],
  );
  assert.deepEqual(
    lines(await gh('audit', '--actor', 'ops', '--since', '1h', '--json')).map((r) => r.seq),
    [3, 2, 1],
  );
  assert.deepEqual(lines(await gh('audit', '--since', '2999-01-01', '--json')), []);
  const first = await gh('audit', '--limit', '2', '--json');
  assert.deepEqual(
    lines(first).map((r) => r.seq),
    [3, 2],
  );
  const cursor = /--cursor (\S+)/.exec(first.err)?.[1];
  assert.ok(cursor, first.err);
  assert.deepEqual(
    lines(await gh('audit', '--cursor', cursor, '--json')).map((r) => r.seq),
    [1],
  );
  const table = await gh('audit');
  assert.equal(table.code, 0);
  assert.match(table.out, /^SEQ\s+TIME\s+ACTOR\s+ACTION\s+OBJECT\s+ORIGIN\s+OUTCOME/);
  assert.match(table.out, /cli:ops\s+clients\.disable\s+client:no-such-client\s+\S+\s+failed GH_NOT_FOUND/);
});

test('bad time or head input is a usage error: exit 2 with a clear message, no stack trace', async () => {
  for (const args of [
    ['audit', '--since', 'yesterday'],
    ['audit', 'purge', '--before', '1y', '--yes'],
    ['audit', 'verify', '--head', '12'],
    ['audit', 'purge', '--before', '7d'],
    ['audit', 'verify', '--since', '1h'],
  ]) {
    const r = await gh(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /^gatehouse audit: .*\[GH_CLI_USAGE\]$/);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
});

test('audit verify passes on an intact chain and names the seq of an edited or deleted record (exit 1)', async () => {
  const ok = await gh('audit', 'verify');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /audit chain OK: 3 records/);
  await sqlite((db) => db.updateTable('audit_log').set({ outcome: 'success', error_code: null }).where('seq', '=', 3).execute());
  const edited = await gh('audit', 'verify');
  assert.equal(edited.code, 1);
  assert.match(edited.err, /chain broken at seq 3: record 3 was changed/);
  await sqlite((db) => db.updateTable('audit_log').set({ outcome: 'failed', error_code: 'GH_NOT_FOUND' }).where('seq', '=', 3).execute());
  assert.equal((await gh('audit', 'verify')).code, 0, 'restored');
});

test('removing the newest records and rewriting the head row is caught by verify --head with the published head', async () => {
  const published = (await gh('audit', 'head')).out.trim();
  assert.match(published, /^3:[0-9a-f]{64}$/);
  const [two] = lines(await gh('audit', '--action', 'users.create', '--json'));
  await sqlite(async (db) => {
    await db.deleteFrom('audit_log').where('seq', '=', 3).execute();
    await db.updateTable('audit_heads').set({ seq: 2, hash: two!.hash }).execute();
  });
  assert.equal((await gh('audit', 'verify')).code, 0, 'the store alone looks whole');
  const r = await gh('audit', 'verify', '--head', published);
  assert.equal(r.code, 1);
  assert.match(r.err, /chain broken at seq 3: .*published head/);
  assert.equal((await gh('audit', 'verify', '--head', `2:${two!.hash}`)).code, 0);
});

test('audit purge --before writes a checkpoint; the rest verifies; it is itself audited', async () => {
  const r = await gh('audit', 'purge', '--before', '2999-01-01', '--yes', '--json');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), { purged: 2, checkpoint_seq: 3 });
  const recs = lines(await gh('audit', '--json', '--asc'));
  assert.deepEqual(
    recs.map((x) => [x.seq, x.action]),
    [
      [3, 'audit.checkpoint'],
      [4, 'audit.purge'],
    ],
  );
  assert.equal(recs[0]!.detail.through_seq, 2);
  const v = await gh('audit', 'verify');
  assert.equal(v.code, 0, v.err);
  await sqlite((db) => db.updateTable('audit_log').set({ actor_id: 'mallory' }).where('seq', '=', 4).execute());
  assert.match((await gh('audit', 'verify')).err, /chain broken at seq 4/);
});
