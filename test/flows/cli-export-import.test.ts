/**
 * `gatehouse export` and `gatehouse import FILE` (the same use cases as the admin API's
 * /export and /import) through the real CLI entry point, from one SQLite file to another.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/types.ts';

let dir: string;
const kek = randomBytes(32).toString('base64');
const envFor = (db: string) => ({ GATEHOUSE_DATABASE_URL: `sqlite:${join(dir, db)}`, GATEHOUSE_DATA_DIR: dir, GATEHOUSE_KEK: kek, USER: 'ops' });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gh-cli-export-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function gh(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => 'correct horse battery\n', env };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('gatehouse export --out FILE then gatehouse import FILE: clients and users move with their hashes; a second import needs --upsert', async () => {
  const a = envFor('a.db');
  const b = envFor('b.db');
  assert.equal((await gh(a, 'migrate')).code, 0);
  assert.equal((await gh(b, 'migrate')).code, 0);
  const created = await gh(a, 'clients', 'create', '--name', 'billing', '--grant-types', 'client_credentials', '--json');
  assert.equal(created.code, 0, created.err);
  const { client_secret } = JSON.parse(created.out) as { client_secret: string };
  assert.equal((await gh(a, 'users', 'create', '--username', 'carol', '--password-stdin')).code, 0);

  const file = join(dir, 'export.json');
  const exported = await gh(a, 'export', '--out', file);
  assert.equal(exported.code, 0, exported.err);
  assert.equal((await stat(file)).mode & 0o777, 0o600, 'the document holds password hashes: owner-only');
  const text = await readFile(file, 'utf8');
  assert.ok(!text.includes(client_secret) && !text.includes('correct horse battery'), 'no plaintext');

  const imported = await gh(b, 'import', file, '--json');
  assert.equal(imported.code, 0, imported.err);
  assert.deepEqual((JSON.parse(imported.out) as { users: unknown }).users, { created: 1, updated: 0 });
  const shown = await gh(b, 'users', 'show', 'carol', '--json');
  assert.equal(shown.code, 0, shown.err);
  assert.equal((JSON.parse(shown.out) as { has_password: boolean }).has_password, true);

  const again = await gh(b, 'import', file);
  assert.equal(again.code, 1);
  assert.match(again.err, /already exists/);
  assert.equal((await gh(b, 'import', file, '--upsert')).code, 0);
  assert.equal((await gh(b, 'import', join(dir, 'missing.json'))).code, 1);
});
