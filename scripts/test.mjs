#!/usr/bin/env node
// `npm test`: type-check, import-boundary check, formatting check and every test file, run concurrently.
// Test files: src/**/*.test.ts and test/**/*.test.ts (node 20 finds none without a list).
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) find(p, out);
    else if (p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = only.length ? only : [...find('src'), ...find('test')].sort();
const concurrency = process.env.TEST_CONCURRENCY ?? '4';

function run(name, cmd, args) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('close', (code) => resolve({ name, code, out, secs: ((Date.now() - started) / 1000).toFixed(1) }));
  });
}

const jobs = [
  run('typecheck', process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.json']),
  run('import boundaries', process.execPath, ['scripts/check-imports.mjs']),
  run('formatting (biome)', process.execPath, ['node_modules/@biomejs/biome/bin/biome', 'format', '.']),
  run('tests', process.execPath, [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/slowest-files-reporter.mjs',
    '--test-reporter-destination=stdout',
    ...files,
  ]),
];
let failed = false;
for (const r of await Promise.all(jobs)) {
  process.stdout.write(`\n===== ${r.name} (${r.secs}s): ${r.code === 0 ? 'ok' : 'FAILED'} =====\n${r.out}`);
  if (r.code !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
