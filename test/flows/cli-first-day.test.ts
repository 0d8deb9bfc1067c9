/**
 * What an operator meets on the first day, through the real CLI entry point (`main`): a database
 * that was never created (real PostgreSQL and MariaDB servers), a mistyped flag, `--version`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/types.ts';
import { adminUrl, backendRequired } from '../support/databases.ts';

interface Run {
  code: number;
  out: string;
  err: string;
}
async function gatehouse(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    readStdin: async () => '',
    env: { GATEHOUSE_KEK: randomBytes(32).toString('base64'), ...env },
  };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('a database that does not exist is GH_STORE_UNAVAILABLE with how to create it', () => {
  for (const [kind, create] of [
    ['postgres', /createdb (gh_missing_\w+).*CREATE DATABASE "\1"/],
    ['mysql', /CREATE DATABASE `(gh_missing_\w+)`/],
  ] as const) {
    test(`${kind}: gatehouse migrate names the database and the command that creates it`, async (t) => {
      const url = new URL(adminUrl(kind));
      const name = `gh_missing_${randomBytes(5).toString('hex')}`;
      url.pathname = `/${name}`;
      const r = await gatehouse(['migrate'], { GATEHOUSE_DATABASE_URL: url.href });
      if (/store unavailable \(E[A-Z]+\)/.test(r.err) && !backendRequired()) return t.skip(`${kind} not reachable: ${r.err}`);
      assert.equal(r.code, 1);
      assert.match(r.err, /\[GH_STORE_UNAVAILABLE\]$/);
      assert.match(r.err, new RegExp(`database "${name}" named in database\\.url does not exist`));
      assert.match(r.err, create);
      assert.doesNotMatch(r.err, /migration migration|GH_MIGRATION_FAILED/);
    });
  }
});

describe('mistyped flags say which flag and what was meant', () => {
  test('a typo suggests the closest known flag (edit distance)', async () => {
    const r = await gatehouse(['clients', 'list', '--jsn']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^gatehouse clients: unknown option --jsn\n\s+did you mean --json\?/);
    assert.match(r.err, /\[GH_CLI_USAGE\]$/);
    assert.doesNotMatch(r.err, /To specify a positional argument/, "not the argument parser's raw text");
  });

  test('a shortened flag points to the flag it starts (--password → --password-stdin)', async () => {
    const r = await gatehouse(['users', 'create', '--username', 'x', '--password', 'secret']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown option --password\n\s+did you mean --password-stdin\?/);
  });

  test('a setting given as a flag points to its environment variable (--port → GATEHOUSE_PORT)', async () => {
    for (const [flag, env] of [
      ['--port', 'GATEHOUSE_PORT'],
      ['--issuer', 'GATEHOUSE_ISSUER'],
      ['--database-url', 'GATEHOUSE_DATABASE_URL'],
    ] as const) {
      const r = await gatehouse(['serve', flag, 'x']);
      assert.equal(r.code, 2, flag);
      assert.match(r.err, new RegExp(`unknown option ${flag}\\n\\s+${flag} is a setting, not an option: set ${env}=`), flag);
    }
  });

  test('an unrelated flag is named without a wild guess', async () => {
    const r = await gatehouse(['migrate', '--zzzzzzzz']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown option --zzzzzzzz\n\s+--help lists every option/);
  });
});

test('gatehouse --version and -V print the package version', async () => {
  const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = await gatehouse([flag]);
    assert.equal(r.code, 0, flag);
    assert.equal(r.out, version, flag);
  }
});
