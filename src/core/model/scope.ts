/**
 * RFC 6749 §3.3: scope = scope-token *( SP scope-token ); scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function isScopeToken(s: string): boolean {
  return SCOPE_TOKEN.test(s);
}

/** Parses a scope string; returns null if it is not valid RFC 6749 §3.3 syntax. */
export function parseScope(value: string | undefined): string[] | null {
  if (value === undefined || value === '') return [];
  const parts = value.split(' ');
  const out: string[] = [];
  for (const p of parts) {
    if (!isScopeToken(p)) return null;
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}
