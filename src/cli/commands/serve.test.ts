// `gatehouse serve --workers`: the flag as the CLI reads it (usage errors, the in-process store
// refusal, --help). Running workers: test/flows/cli-serve-workers.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../main.ts';
import type { CliIo } from '../types.ts';

async function run(env: Record<string, string>, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => '', env };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('serve --help lists --workers N|auto and GATEHOUSE_WORKERS', async () => {
  const r = await run({}, 'serve', '--help');
  assert.equal(r.code, 0);
  assert.match(r.out, /--workers N\|auto/);
  assert.match(r.out, /GATEHOUSE_WORKERS/);
});

test('serve --workers takes auto or a whole number from 1 to 1024; anything else is a usage error (exit 2)', async () => {
  for (const bad of ['0', 'two', '1.5', '1025']) {
    const r = await run({}, 'serve', '--workers', bad);
    assert.equal(r.code, 2, bad);
    assert.match(r.err, /--workers: must be auto or a whole number from 1 to 1024 .*\[GH_CLI_USAGE\]/);
  }
});

test('several workers on an in-process store are refused before anything starts (flag and GATEHOUSE_WORKERS)', async () => {
  const flag = await run({ GATEHOUSE_DATABASE_URL: 'memory:' }, 'serve', '--workers', '2');
  assert.equal(flag.code, 1);
  assert.match(flag.err, /--workers 2: memory: lives in one process; several workers need sqlite:PATH, postgres:\/\/ or mysql:\/\/ \[GH_CONFIG_INVALID\]/);
  const env = await run({ GATEHOUSE_DATABASE_URL: 'sqlite::memory:', GATEHOUSE_WORKERS: '3' }, 'serve');
  assert.equal(env.code, 1);
  assert.match(env.err, /workers: several worker processes need a shared store; sqlite::memory: lives in one process/);
});
