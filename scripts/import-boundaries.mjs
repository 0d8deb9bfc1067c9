// Import-boundary rules (DESIGN §1), checked by scripts/check-imports.mjs in `npm test`:
// - src/core/** imports no adapter, no driver, no node:http|net|fs, nothing outside src/core.
// - adapters (src/storage/**) import only core/ports, core/model, core/errors, core/crypto and drivers.
// - only the composition root (src/compose.ts) knows concrete adapters: no other file imports
//   src/storage, src/ratelimit, src/security, src/logout, src/outbound, src/redis, src/tracing or
//   src/events/sinks (adapters' own tests excepted).
// - the interfaces (src/http, src/cli, src/app) import no driver-level module and not src/main.ts
//   (the process entry); src/app (the application layer) imports no interface either.
// - the resource-server kit (src/resource-server-kit, published as `gatehouse/resource-server`)
//   runs inside other processes: it imports only jose, node built-ins, fastify types and the pure
//   core helpers (crypto, errors, www-authenticate, dpop, model, ports) — never storage, http or compose.
// Uses the TypeScript scanner (ts.preProcessFile), so type-only imports count too.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const FORBIDDEN_IN_CORE = /^(node:)?(http|https|http2|net|tls|dgram|fs|fs\/promises|child_process|cluster)$/;
const DRIVERS =
  /^(undici|better-sqlite3|better-sqlite3-napi|pg|mysql2|mysql2\/promise|kysely|ioredis|amqplib|nats|@nats-io\/.*|rate-limiter-flexible|standardwebhooks|@opentelemetry\/(sdk-.*|exporter-.*|context-async-hooks|resources)|fastify|@fastify\/.*|prom-client|pino)$/;
const ADAPTER_DIRS = /^(storage|ratelimit|security|logout|outbound|redis|tracing|events\/sinks)\//;
const INTERFACES = /^(http|cli|app)\//;
/**
 * Checks every .ts file under `dir` (default src); returns how many were read and each violation
 * as "file: reason".
 */
export function checkImportBoundaries(dir = 'src') {
  const root = resolve(dir);
  const files = [];
  (function walk(d) {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  })(root);
  const problems = [];

  for (const file of files) {
    const rel = relative(root, file).replaceAll('\\', '/');
    const isTest = rel.endsWith('.test.ts');
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of importedFiles) {
      const target = spec.startsWith('.') ? relative(root, resolve(dirname(file), spec)).replaceAll('\\', '/') : null;
      if (rel.startsWith('core/')) {
        if (!target && FORBIDDEN_IN_CORE.test(spec)) problems.push(`${rel}: core must not import ${spec}`);
        if (!target && DRIVERS.test(spec)) problems.push(`${rel}: core must not import the driver ${spec}`);
        if (target && !target.startsWith('core/') && !isTest) problems.push(`${rel}: core must not import ${spec} (outside core/)`);
      }
      const adapterOf = (p) => p.match(ADAPTER_DIRS)?.[1] ?? null;
      if (target && adapterOf(target) && adapterOf(target) !== adapterOf(rel) && rel !== 'compose.ts' && !isTest) {
        problems.push(`${rel}: only src/compose.ts may import the adapter ${spec}`);
      }
      if (INTERFACES.test(rel) && target === 'main.ts') problems.push(`${rel}: interfaces must not import the process entry ${spec}`);
      if (
        INTERFACES.test(rel) &&
        !target &&
        DRIVERS.test(spec) &&
        !/^(fastify|@fastify\/.*)$/.test(spec) &&
        !(rel.startsWith('http/') && /^(pino|prom-client)$/.test(spec))
      ) {
        problems.push(`${rel}: an interface must not import the driver ${spec}`);
      }
      if (rel.startsWith('app/') && target && /^(http|cli|mcp|admin)\//.test(target) && !isTest)
        problems.push(`${rel}: the application layer must not import the interface ${spec}`);
      if (rel.startsWith('resource-server-kit/') && !isTest) {
        if (
          target &&
          !target.startsWith('resource-server-kit/') &&
          !/^core\/(dpop|model|ports)\//.test(target) &&
          !/^core\/(crypto|errors|www-authenticate)\.ts$/.test(target)
        ) {
          problems.push(`${rel}: the resource-server kit may import only pure core helpers (found ${spec})`);
        }
        if (!target && !/^(jose|node:.*|fastify)$/.test(spec))
          problems.push(`${rel}: the resource-server kit may import only jose, node built-ins and fastify types (found ${spec})`);
      }
      if (rel.startsWith('storage/') && target && !target.startsWith('storage/') && !isTest) {
        if (!/^core\/(ports|model)\//.test(target) && !/^core\/(errors|crypto)\.ts$/.test(target)) {
          problems.push(`${rel}: an adapter may import only core/ports and core/model (found ${spec})`);
        }
      }
    }
  }
  return { files: files.length, problems };
}
