import type { TokenView } from './find-token.ts';

/**
 * RFC 9493 §4 `sub_id`: "a Subject Identifier that identifies the principal that is the subject of
 * the JWT". Our tokens for a subject of a trusted external issuer that is not a local user (config
 * `trustedIssuers`, `subjectMapping.localUser: none`) carry it in the `iss_sub` format (§3.2.5),
 * naming that issuer: their `sub` is the external one, unique only within its issuer, and must
 * never pass for one of our users (a local user id it happened to choose) when the token is used
 * again: as a subject or actor token in an exchange, or for a transaction token.
 */
export const FOREIGN_SUBJECT_CLAIM = 'sub_id';

/** The `sub_id` claim for `sub` of `issuer` (RFC 9493 §3.2.5 "iss_sub"). */
export function foreignSubjectClaim(issuer: string, sub: string): { readonly format: 'iss_sub'; readonly iss: string; readonly sub: string } {
  return { format: 'iss_sub', iss: issuer, sub };
}

/**
 * The trusted issuer whose namespace a token's `subject` is in when it is not ours: an external
 * token without a local user, or a token of ours issued for one (its `sub_id`). Undefined for
 * our users' and clients' tokens.
 */
export function foreignIssuerOf(view: Pick<TokenView, 'claims'>): string | undefined {
  const id = view.claims[FOREIGN_SUBJECT_CLAIM];
  if (typeof id !== 'object' || id === null || Array.isArray(id)) return undefined;
  const { format, iss } = id as Record<string, unknown>;
  return format === 'iss_sub' && typeof iss === 'string' ? iss : undefined;
}
