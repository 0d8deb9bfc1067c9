import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { OAUTH_ERROR_CODES } from '../../src/core/errors.ts';

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...await sources(p));
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

test('S7 every GH_ code used in src/ and every OAuth error code is listed in docs/errors.md', async () => {
  const root = new URL('../../', import.meta.url).pathname;
  const doc = await readFile(join(root, 'docs/errors.md'), 'utf8');
  const used = new Set<string>();
  for (const f of await sources(join(root, 'src'))) {
    for (const m of (await readFile(f, 'utf8')).matchAll(/'(GH_[A-Z_]+)'/g)) used.add(m[1]!);
  }
  used.delete('GH_NOT_IMPLEMENTED');
  const missing = [...used, ...OAUTH_ERROR_CODES.filter((c) => !['insufficient_scope', 'access_denied', 'invalid_software_statement'].includes(c))]
    .filter((c) => !doc.includes(`\`${c}\``));
  assert.deepEqual(missing, []);
});
