#!/usr/bin/env node
// Thin launcher: the compiled process entry lives in dist/ (built by `npm ci` through `prepare`).
import { setFlagsFromString } from 'node:v8';

// `serve`: V8's young generation grows from 2 MB to its 32 MB maximum while the modules load and
// the server is composed (startup garbage that survives a scavenge), and never shrinks back, so
// an idle server held ~25 MB it did not use. It is kept at its initial size until the server
// listens; then it grows with the load as before (src/cli/young-generation.ts,
// docs/performance.md). An operator's own young-generation flags are left alone.
const own = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`;
if (process.argv[2] === 'serve' && !/semi-space/.test(own)) {
  setFlagsFromString('--semi-space-growth-factor=1');
  globalThis[Symbol.for('gatehouse.youngGenerationHeld')] = true;
}
const { main } = await import('../dist/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
