#!/usr/bin/env node
// Thin launcher: the compiled process entry lives in dist/ (built by `npm ci` through `prepare`).
import { main } from '../dist/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
