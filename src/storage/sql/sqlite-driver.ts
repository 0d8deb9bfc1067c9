import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * Which better-sqlite3 build this Node.js runs. Two major versions are installed because no
 * single one works on every Node.js we support:
 *
 * - **12** (`better-sqlite3`) on Node.js 20: 13 does not run there (its N-API build aborts).
 * - **13** (`better-sqlite3-napi`, an npm alias, an optional dependency that npm installs only
 *   on Node.js 22+) on Node.js 22 and later. 12 derives its objects from `node::ObjectWrap`;
 *   built against Node.js 24.19+ headers, that class removes an environment cleanup hook in
 *   its destructor, and a statement collected by an idle-time GC (no V8 context entered) then
 *   aborts the process (`Assertion failed: (env) != nullptr` in
 *   `node::RemoveEnvironmentCleanupHook`). 13 is a node-addon-api build with prebuilt binaries
 *   in the package.
 *
 * Both have the same API; the caller never sees which one it got.
 */
export function sqliteDriverPackage(nodeVersion = process.versions.node): 'better-sqlite3' | 'better-sqlite3-napi' {
  const major = Number(nodeVersion.split('.')[0]);
  return major >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3';
}

/**
 * The installed driver to load: the preferred one, else `better-sqlite3` 12 when the optional
 * 13 is missing (installed with `--omit=optional`, or an npm that skipped it).
 */
export function installedSqliteDriver(resolve: (id: string) => string = createRequire(import.meta.url).resolve): { name: string; path: string } {
  const preferred = sqliteDriverPackage();
  if (preferred !== 'better-sqlite3') {
    try {
      return { name: preferred, path: resolve(preferred) };
    } catch {
      // Not installed: fall back to 12 (works on Node.js 22; see above for 24).
    }
  }
  return { name: 'better-sqlite3', path: resolve('better-sqlite3') };
}

/** The better-sqlite3 `Database` constructor for this Node.js (loaded on first use). */
export async function loadBetterSqlite3(): Promise<typeof BetterSqlite3> {
  const mod = (await import(installedSqliteDriver().name)) as { default: typeof BetterSqlite3 };
  return mod.default;
}
