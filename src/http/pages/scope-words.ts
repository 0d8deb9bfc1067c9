import { claimsForScope } from '../../core/claims/scope-claims.ts';
import type { ClaimsRequest } from '../../core/model/authorization-code.ts';

/**
 * Plain-language descriptions of scopes (OIDC Core §5.4) and claims (§5.1) for the consent page.
 * English only for now (see docs/sessions-and-pages.md on ui_locales).
 */
const SCOPES: Readonly<Record<string, string>> = {
  openid: 'Confirm your identity with your account',
  profile: 'Your basic profile: name, nickname, picture, website, gender, birth date, time zone and language',
  email: 'Your email address and whether it is verified',
  address: 'Your postal address',
  phone: 'Your phone number and whether it is verified',
  offline_access: 'Keep this access when you are not using the application',
  roles: 'Your roles',
  groups: 'The groups you belong to',
};

const CLAIMS: Readonly<Record<string, string>> = {
  name: 'Your full name',
  given_name: 'Your first name',
  family_name: 'Your last name',
  middle_name: 'Your middle name',
  nickname: 'Your nickname',
  preferred_username: 'Your preferred username',
  profile: 'The address of your profile page',
  picture: 'Your profile picture',
  website: 'Your website',
  email: 'Your email address',
  email_verified: 'Whether your email address is verified',
  gender: 'Your gender',
  birthdate: 'Your date of birth',
  zoneinfo: 'Your time zone',
  locale: 'Your language and region',
  phone_number: 'Your phone number',
  phone_number_verified: 'Whether your phone number is verified',
  address: 'Your postal address',
  updated_at: 'When your profile was last updated',
};

/** Claims about the sign-in itself, not the person: never listed as personal data. */
const SIGN_IN_CLAIMS = new Set(['sub', 'auth_time', 'acr', 'amr', 'sid', 'nonce']);

/** `configured`: the descriptions operators gave their own scopes (`claims.scopes`). */
export function describeScope(scope: string, configured?: ReadonlyMap<string, string>): string {
  if (Object.hasOwn(SCOPES, scope)) return SCOPES[scope]!;
  return configured?.get(scope) ?? `Permission “${scope}”`;
}

export function describeClaim(claim: string): string {
  return Object.hasOwn(CLAIMS, claim) ? CLAIMS[claim]! : `Information “${claim}” about you`;
}

/**
 * The `claims` request parameter's members (userinfo and id_token) not already covered by the
 * scopes, described in plain words, each once.
 */
export function extraClaimWords(scope: readonly string[], claims: ClaimsRequest | null): readonly string[] {
  if (!claims) return [];
  const covered = new Set<string>(claimsForScope(scope));
  const names = new Set<string>();
  for (const member of [claims.userinfo, claims.id_token]) {
    for (const name of Object.keys(member ?? {})) if (!covered.has(name) && !SIGN_IN_CLAIMS.has(name)) names.add(name);
  }
  return [...names].map(describeClaim);
}
