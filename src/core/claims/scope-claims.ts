import type { StandardClaims } from '../model/user.ts';

export type StandardClaimName = keyof StandardClaims;

/** OIDC Core §5.1: every standard claim besides `sub` (which the issuer sets itself). */
export const STANDARD_CLAIMS: readonly StandardClaimName[] = [
  'name',
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'preferred_username',
  'profile',
  'picture',
  'website',
  'email',
  'email_verified',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'phone_number',
  'phone_number_verified',
  'address',
  'updated_at',
];

/**
 * OIDC Core §5.4: the claims each scope value requests.
 * "profile: OPTIONAL. This scope value requests access to the End-User's default profile Claims,
 * which are: name, family_name, given_name, middle_name, nickname, preferred_username, profile,
 * picture, website, gender, birthdate, zoneinfo, locale, and updated_at."
 * "email: [...] email and email_verified", "address: [...] address", "phone: [...] phone_number
 * and phone_number_verified".
 */
export const SCOPE_CLAIMS: Readonly<Record<string, readonly StandardClaimName[]>> = Object.freeze({
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
});

/** The standard claims the given scopes ask for, in a stable order, without duplicates. */
export function claimsForScope(scope: readonly string[]): readonly StandardClaimName[] {
  const out = new Set<StandardClaimName>();
  for (const s of scope) {
    const names = Object.hasOwn(SCOPE_CLAIMS, s) ? SCOPE_CLAIMS[s] : undefined;
    if (names) for (const n of names) out.add(n);
  }
  return [...out];
}

export function isStandardClaim(name: string): name is StandardClaimName {
  return (STANDARD_CLAIMS as readonly string[]).includes(name);
}
