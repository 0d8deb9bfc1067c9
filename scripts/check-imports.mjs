#!/usr/bin/env node
// Import-boundary check (DESIGN §1), run by `npm test`; the rules are in import-boundaries.mjs.
// Usage: node scripts/check-imports.mjs [dir]   (default src; exit 1 on any violation)
import { checkImportBoundaries } from './import-boundaries.mjs';

const { files, problems } = checkImportBoundaries(process.argv[2] ?? 'src');
if (problems.length) {
  console.error(`import boundaries: ${problems.length} violation(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`import boundaries: ${files} files checked, no violations`);
