/**
 * The hot path's SQL texts, which the server drivers run as prepared statements: PostgreSQL
 * parses and plans a named statement once per connection instead of on every call, MySQL/MariaDB
 * (mysql2 `execute`) likewise. Only texts registered here are prepared: they are a small fixed
 * set (prepareQuery's statements and the group-commit INSERTs, one per batch size), so the
 * per-connection statement caches stay bounded; ad-hoc SQL (lists, operator use cases) runs as
 * before.
 *
 * Caveat for operators: a pooler in transaction mode (PgBouncer < 1.21 without
 * `max_prepared_statements`) does not keep named statements; see docs/scaling.md.
 */
const names = new Map<string, string>();

/** Marks `sqlText` as a hot statement; returns its statement name. */
export function registerHotStatement(sqlText: string): string {
  let name = names.get(sqlText);
  if (!name) names.set(sqlText, (name = `gh_${names.size + 1}`));
  return name;
}

/** The statement name of a hot SQL text, or undefined for any other text. */
export function hotStatementName(sqlText: string): string | undefined {
  return names.get(sqlText);
}
