import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { GATEHOUSE_ERROR_CODES, OAUTH_ERROR_CODES, gatehouseErrorStatus } from '../../src/core/errors.ts';

const root = new URL('../../', import.meta.url).pathname;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** The backticked codes in the first column of a docs/errors.md table. */
function documented(doc: string, pattern: RegExp): Set<string> {
  return new Set([...doc.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!).filter((c) => pattern.test(c)));
}

test('S7 every GH_ code in the closed union is documented in docs/errors.md, and every documented GH_ code exists', async () => {
  const doc = await readFile(join(root, 'docs/errors.md'), 'utf8');
  const inDoc = documented(doc, /^GH_/);
  assert.deepEqual(
    GATEHOUSE_ERROR_CODES.filter((c) => !inDoc.has(c)),
    [],
    'codes missing from docs/errors.md',
  );
  assert.deepEqual(
    [...inDoc].filter((c) => !(GATEHOUSE_ERROR_CODES as readonly string[]).includes(c)),
    [],
    'documented codes that do not exist',
  );
});

test('S7 every OAuth error code is documented, and every documented protocol code exists', async () => {
  const doc = await readFile(join(root, 'docs/errors.md'), 'utf8');
  const inDoc = documented(doc, /^[a-z_]+$/);
  inDoc.delete('error'); // the table's header
  assert.deepEqual(
    OAUTH_ERROR_CODES.filter((c) => !inDoc.has(c)),
    [],
    'codes missing from docs/errors.md',
  );
  assert.deepEqual(
    [...inDoc].filter((c) => !(OAUTH_ERROR_CODES as readonly string[]).includes(c)),
    [],
    'documented codes that do not exist',
  );
});

test('S7 every GH_ code written in src/ belongs to the closed union (string literals are checked too)', async () => {
  const used = new Set<string>();
  for (const f of await sources(join(root, 'src'))) {
    for (const m of (await readFile(f, 'utf8')).matchAll(/'(GH_[A-Z_]+)'/g)) used.add(m[1]!);
  }
  assert.deepEqual(
    [...used].filter((c) => !(GATEHOUSE_ERROR_CODES as readonly string[]).includes(c)),
    [],
  );
});

test('every GH_ code maps to an HTTP status for the admin interfaces', () => {
  for (const code of GATEHOUSE_ERROR_CODES) assert.ok([400, 403, 404, 409, 412, 500, 503].includes(gatehouseErrorStatus(code)), code);
  assert.equal(gatehouseErrorStatus('GH_FORBIDDEN'), 403);
  assert.equal(gatehouseErrorStatus('GH_NOT_FOUND'), 404);
  assert.equal(gatehouseErrorStatus('GH_CONFLICT'), 409);
});
