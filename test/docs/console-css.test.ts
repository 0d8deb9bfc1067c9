import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

test('the committed console stylesheet is what `npm run build:css` (Tailwind CSS 4 CLI) builds from the current templates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-console-css-'));
  try {
    const out = join(dir, 'console-css.ts');
    execFileSync(process.execPath, ['scripts/build-console-css.mjs', '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    const fresh = readFileSync(out, 'utf8');
    const committed = readFileSync('src/http/assets/console-css.ts', 'utf8');
    assert.ok(fresh.includes('tailwindcss v4'), 'built by Tailwind CSS 4');
    assert.equal(committed, fresh, 'src/http/assets/console-css.ts is stale: run npm run build:css and commit it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
