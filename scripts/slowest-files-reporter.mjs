// A node:test reporter for `npm test`: after the run, the ten test files that took longest (the sum
// of their top-level tests, before-hooks included), so a slow suite is visible in every CI log.
import { relative } from 'node:path';

export default async function* slowestFiles(source) {
  const perFile = new Map();
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0 || !event.data.file) continue;
    const ms = event.data.details?.duration_ms ?? 0;
    perFile.set(event.data.file, (perFile.get(event.data.file) ?? 0) + ms);
  }
  const top = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 10);
  if (!top.length) return;
  yield '\nslowest test files (sum of top-level tests):\n';
  for (const [file, ms] of top) yield `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${relative(process.cwd(), file)}\n`;
}
