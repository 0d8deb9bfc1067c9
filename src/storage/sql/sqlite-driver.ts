import type BetterSqlite3 from 'better-sqlite3';

/**
 * Which better-sqlite3 build this Node.js runs. Two major versions are installed because no
 * single one works on every Node.js we support:
 *
 * - **12** (`better-sqlite3`) on Node.js 20: 13 does not run there (its N-API build aborts).
 * - **13** (`better-sqlite3-napi`, an npm alias) on Node.js 22 and later. 12 derives its
 *   objects from `node::ObjectWrap`; built against Node.js 24.19+ headers, that class removes an
 *   environment cleanup hook in its destructor, and a statement collected by an idle-time GC
 *   (no V8 context entered) then aborts the process (`Assertion failed: (env) != nullptr` in
 *   `node::RemoveEnvironmentCleanupHook`). 13 is a node-addon-api build with prebuilt binaries
 *   in the package, and supports Node.js 22+.
 *
 * Both have the same API; the caller never sees which one it got.
 */
export function sqliteDriverPackage(nodeVersion = process.versions.node): 'better-sqlite3' | 'better-sqlite3-napi' {
  const major = Number(nodeVersion.split('.')[0]);
  return major >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3';
}

/** The better-sqlite3 `Database` constructor for this Node.js (loaded on first use). */
export async function loadBetterSqlite3(): Promise<typeof BetterSqlite3> {
  const mod = (await import(sqliteDriverPackage())) as { default: typeof BetterSqlite3 };
  return mod.default;
}
