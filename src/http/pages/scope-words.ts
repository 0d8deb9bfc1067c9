import { claimsForScope } from '../../core/claims/scope-claims.ts';
import type { ClaimsRequest } from '../../core/model/authorization-code.ts';
import type { PageKit } from './layout.ts';
import { MESSAGE_KEYS, type MessageKey } from './messages/catalogue.ts';

/**
 * Plain-language descriptions of scopes (OIDC Core §5.4) and claims (§5.1) for the consent and
 * device pages, in the page's language (messages `scope.*` and `claim.*`).
 */
const SCOPE_KEYS: ReadonlySet<string> = new Set(MESSAGE_KEYS.filter((k) => k.startsWith('scope.') && k !== 'scope.other'));
const CLAIM_KEYS: ReadonlySet<string> = new Set(MESSAGE_KEYS.filter((k) => k.startsWith('claim.') && k !== 'claim.other'));

/** Claims about the sign-in itself, not the person: never listed as personal data. */
const SIGN_IN_CLAIMS = new Set(['sub', 'auth_time', 'acr', 'amr', 'sid', 'nonce']);

/** Built-in scopes in the page's language; an operator's own scope (`claims.scopes`) in the words of its `description`. */
export function describeScope(kit: Pick<PageKit, 'text' | 'scopeDescriptions'>, scope: string): string {
  if (SCOPE_KEYS.has(`scope.${scope}`)) return kit.text(`scope.${scope}` as MessageKey);
  return kit.scopeDescriptions.get(scope) ?? kit.text('scope.other', { scope });
}

export function describeClaim(kit: Pick<PageKit, 'text'>, claim: string): string {
  return CLAIM_KEYS.has(`claim.${claim}`) ? kit.text(`claim.${claim}` as MessageKey) : kit.text('claim.other', { claim });
}

/**
 * The `claims` request parameter's members (userinfo and id_token) not already covered by the
 * scopes, described in plain words, each once.
 */
export function extraClaimWords(kit: Pick<PageKit, 'text'>, scope: readonly string[], claims: ClaimsRequest | null): readonly string[] {
  if (!claims) return [];
  const covered = new Set<string>(claimsForScope(scope));
  const names = new Set<string>();
  for (const member of [claims.userinfo, claims.id_token]) {
    for (const name of Object.keys(member ?? {})) if (!covered.has(name) && !SIGN_IN_CLAIMS.has(name)) names.add(name);
  }
  return [...names].map((n) => describeClaim(kit, n));
}
