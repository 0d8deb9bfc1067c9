/**
 * Replaces the text between `<!-- bench:start -->` and `<!-- bench:end -->` in README.md with
 * the latest benchmark table. `node --import tsx bench/update-readme.ts` uses
 * bench/results/readme.md (written by `npm run bench`); a no-op when the markers are absent.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const START = '<!-- bench:start -->';
export const END = '<!-- bench:end -->';

/** The document with the block between the markers replaced, or null when they are missing. */
export function replaceBetweenMarkers(doc: string, block: string): string | null {
  const a = doc.indexOf(START);
  const b = doc.indexOf(END, a + START.length);
  if (a < 0 || b < 0) return null;
  return `${doc.slice(0, a + START.length)}\n${block.trim()}\n${doc.slice(b)}`;
}

/** Rewrites `readmePath` in place; resolves false (and leaves it alone) without markers. */
export async function updateReadme(readmePath: string, block: string): Promise<boolean> {
  const doc = await readFile(readmePath, 'utf8');
  const next = replaceBetweenMarkers(doc, block);
  if (next === null) return false;
  if (next !== doc) await writeFile(readmePath, next);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = new URL('../', import.meta.url);
  const block = await readFile(new URL('bench/results/readme.md', root), 'utf8');
  const ok = await updateReadme(fileURLToPath(new URL('README.md', root)), block);
  console.log(ok ? 'README.md: bench section updated' : `README.md: no ${START} … ${END} markers; left unchanged`);
}
