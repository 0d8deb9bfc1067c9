// The import-boundary check (scripts/check-imports.mjs, run by `npm test`) must fail on each
// kind of violation it names, and pass on this repository. The rules run in this process
// (scripts/import-boundaries.mjs); the CLI is spawned twice, for its exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';

// @ts-expect-error: a plain .mjs script without type declarations.
import { checkImportBoundaries } from '../../scripts/import-boundaries.mjs';

const SCRIPT = new URL('../../scripts/check-imports.mjs', import.meta.url).pathname;
const checkIn = checkImportBoundaries as (dir?: string) => { files: number; problems: string[] };
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'gh-imports-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(files: Record<string, string>): { ok: boolean; out: string } {
  const { problems } = checkIn(tree(files));
  return { ok: problems.length === 0, out: problems.join('\n') };
}

describe('DESIGN §1 import boundaries', () => {
  test('this repository passes (the CLI exits 0)', () => {
    const r = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /no violations/);
  });

  test('the CLI exits 1 and lists each violation', () => {
    const r = spawnSync(process.execPath, [SCRIPT, tree({ 'core/a.ts': "import 'node:fs';\nimport 'pg';\n" })], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /2 violation\(s\)\n {2}core\/a\.ts: core must not import node:fs\n {2}core\/a\.ts: core must not import the driver pg/);
  });

  const cases: [string, Record<string, string>, RegExp][] = [
    ['core imports node:fs', { 'core/a.ts': "import 'node:fs';\n" }, /core must not import node:fs/],
    ['core imports a driver', { 'core/a.ts': "import 'pg';\n" }, /core must not import the driver pg/],
    ['core imports outside core', { 'core/a.ts': "import '../http/x.ts';\n", 'http/x.ts': '' }, /outside core/],
    ['an adapter imports core internals', { 'storage/a.ts': "import '../core/token/x.ts';\n", 'core/token/x.ts': '' }, /adapter may import only/],
    ['http imports a storage adapter', { 'http/a.ts': "import '../storage/s.ts';\n", 'storage/s.ts': '' }, /only src\/compose.ts may import the adapter/],
    ['cli imports the rate limiter adapter', { 'cli/a.ts': "import '../ratelimit/r.ts';\n", 'ratelimit/r.ts': '' }, /only src\/compose.ts/],
    ['core imports the outbound fetcher adapter', { 'core/a.ts': "import '../outbound/guarded-fetch.ts';\n", 'outbound/guarded-fetch.ts': '' }, /outside core/],
    [
      'http imports the outbound fetcher adapter',
      { 'http/a.ts': "import '../outbound/guarded-fetch.ts';\n", 'outbound/guarded-fetch.ts': '' },
      /only src\/compose.ts may import the adapter/,
    ],
    ['core imports undici', { 'core/a.ts': "import 'undici';\n" }, /core must not import the driver undici/],
    ['cli imports the process entry', { 'cli/a.ts': "import '../main.ts';\n", 'main.ts': '' }, /process entry/],
    ['http imports a database driver', { 'http/a.ts': "import 'mysql2';\n" }, /interface must not import the driver mysql2/],
    [
      'the application layer imports an interface',
      { 'app/a.ts': "import '../http/x.ts';\n", 'http/x.ts': '' },
      /application layer must not import the interface/,
    ],
    [
      'the resource-server kit imports the HTTP layer',
      { 'resource-server-kit/a.ts': "import '../http/resource-server/index.ts';\n", 'http/resource-server/index.ts': '' },
      /resource-server kit may import only pure core helpers/,
    ],
    [
      'the resource-server kit imports a core use case',
      { 'resource-server-kit/a.ts': "import '../core/token/x.ts';\n", 'core/token/x.ts': '' },
      /resource-server kit may import only pure core helpers/,
    ],
    ['the resource-server kit imports a driver', { 'resource-server-kit/a.ts': "import 'kysely';\n" }, /resource-server kit may import only jose/],
  ];
  for (const [name, files, message] of cases) {
    test(`fails when ${name}`, () => {
      const r = check(files);
      assert.equal(r.ok, false, 'a violation is found');
      assert.match(r.out, message);
    });
  }

  test('the composition root may import every adapter', () => {
    const r = check({
      'compose.ts': "import './storage/s.ts';\nimport './ratelimit/r.ts';\nimport './outbound/o.ts';\n",
      'storage/s.ts': '',
      'ratelimit/r.ts': '',
      'outbound/o.ts': '',
    });
    assert.equal(r.ok, true, r.out);
  });
});
