import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../main.ts';
import type { CliIo } from '../types.ts';
import type { KeyView } from '../../app/index.ts';

const dir = await mkdtemp(join(tmpdir(), 'gatehouse-keys-'));
after(() => rm(dir, { recursive: true, force: true }));
const env = {
  GATEHOUSE_DATABASE_URL: `sqlite:${join(dir, 'g.db')}`,
  GATEHOUSE_DATA_DIR: dir,
  GATEHOUSE_KEK: randomBytes(32).toString('base64'),
};

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => '', env };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('keys list on a fresh store says the keys come with the first start, and creates none', async () => {
  const r = await run('keys', 'list');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /no signing keys yet/);
  const j = await run('keys', 'list', '--json');
  assert.deepEqual(JSON.parse(j.out), { items: [], next_cursor: null });
});

test('keys rotate --alg ES256 sets up keys, rotates ES256 only and prints the table', async () => {
  const r = await run('keys', 'rotate', '--alg', 'ES256');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^KID\s+ALG\s+STATUS\s+CREATED\s+ACTIVATED\s+RETIRES\s+IN JWKS$/m);
  assert.match(r.out, /rotated ES256 in \d+ ms; running servers pick this up within 30 s/);
  const list = { keys: (JSON.parse((await run('keys', 'list', '--json')).out) as { items: KeyView[] }).items };
  const retired = list.keys.filter((k) => k.status === 'retired');
  assert.deepEqual(
    retired.map((k) => k.alg),
    ['ES256'],
  );
  const active = list.keys.find((k) => k.alg === 'ES256' && k.status === 'active')!;
  // The old key retires when the new one activates and stays published for keys.gracePeriod.
  assert.equal(retired[0]!.retires_at, active.activated_at! + 86_400);
  for (const alg of ['RS256', 'ES256', 'PS256', 'EdDSA']) {
    assert.equal(list.keys.filter((k) => k.alg === alg && k.status === 'active').length, 1, alg);
    assert.equal(list.keys.filter((k) => k.alg === alg && k.status === 'next').length, 1, alg);
  }
  assert.equal(JSON.stringify(list).includes('v1.'), false, 'no sealed key material');
});

test('keys rotate --json rotates every configured algorithm by default', async () => {
  const r = await run('keys', 'rotate', '--json');
  assert.equal(r.code, 0, r.err);
  const body = JSON.parse(r.out) as { rotated: string[]; keys: KeyView[] };
  assert.deepEqual(body.rotated, ['RS256', 'ES256', 'PS256', 'EdDSA']);
  assert.equal(body.keys.filter((k) => k.status === 'retired').length, 5);
  assert.ok(body.keys.filter((k) => k.status === 'retired').every((k) => k.published));
});

test('keys refuses a bad action with a usage error (exit 2) and an unconfigured --alg as invalid input (exit 1)', async () => {
  for (const args of [
    ['keys'],
    ['keys', 'delete'],
    ['keys', 'list', 'extra'],
    ['keys', 'list', '--alg', 'ES256'],
    ['keys', 'rotate', '--bogus'],
    ['keys', 'rotate', '--limit', '2'],
  ]) {
    const r = await run(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /GH_CLI_USAGE/);
  }
  const hs = await run('keys', 'rotate', '--alg', 'HS256');
  assert.equal(hs.code, 1);
  assert.match(hs.err, /algs\.0: .*\[GH_INVALID_INPUT\]/);
});
