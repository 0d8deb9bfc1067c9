import { z } from 'zod';
import { GatehouseError } from '../errors.ts';
import type { StandardClaims } from '../model/user.ts';

const text = (max = 256) => z.string().min(1).max(max);
const httpUrl = z.url({ protocol: /^https?$/ }).max(2000);

/** OIDC Core §5.1.1 address members (all strings; `formatted` may hold line breaks). */
const addressSchema = z.strictObject({
  formatted: text(1000).optional(),
  street_address: text(500).optional(),
  locality: text().optional(),
  region: text().optional(),
  postal_code: text(32).optional(),
  country: text().optional(),
});

/**
 * OIDC Core §5.1 standard claims, mirroring `StandardClaims` (src/core/model/user.ts) member by
 * member. Strict: `sub` and unknown members are refused, never stored silently.
 */
export const standardClaimsSchema = z.strictObject({
  name: text().optional(),
  given_name: text().optional(),
  family_name: text().optional(),
  middle_name: text().optional(),
  nickname: text().optional(),
  preferred_username: text().optional(),
  profile: httpUrl.optional(),
  picture: httpUrl.optional(),
  website: httpUrl.optional(),
  // OIDC Core §5.1: email "MUST conform to the RFC 5322 [RFC5322] addr-spec syntax".
  email: z.email().max(254).optional(),
  email_verified: z.boolean().optional(),
  gender: text(64).optional(),
  // OIDC Core §5.1: birthdate "represented as an ISO 8601:2004 [ISO8601‑2004] YYYY-MM-DD format.
  // The year MAY be 0000 ... a YYYY format is allowed".
  birthdate: z
    .string()
    .regex(/^\d{4}(-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))?$/, 'must be YYYY or YYYY-MM-DD')
    .optional(),
  zoneinfo: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/, 'must be an IANA time zone name such as Europe/Paris')
    .optional(),
  locale: z
    .string()
    .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/, 'must be a BCP47 language tag such as en-US')
    .optional(),
  phone_number: z
    .string()
    .regex(/^\+?[0-9 ()./-]{3,32}(;ext=[0-9]{1,10})?$/, 'must be a telephone number, E.164 recommended (+1 425 555 1212)')
    .optional(),
  phone_number_verified: z.boolean().optional(),
  address: addressSchema.optional(),
  // OIDC Core §5.1: updated_at is "the number of seconds from 1970-01-01T00:00:00Z".
  updated_at: z.number().int().min(0).optional(),
}) satisfies z.ZodType<StandardClaims>;

/** Every standard claim name a user may carry (for messages and docs). */
export const STANDARD_CLAIM_NAMES = Object.keys(standardClaimsSchema.shape) as readonly (keyof StandardClaims)[];

/**
 * Validates claims given by an operator (CLI `--claims FILE`, admin API). Throws GH_USER_INVALID
 * naming the first problem: `sub` (it is the user id), an unknown claim, or a value of the wrong
 * form. Returns a new object with only the given members.
 */
export function parseStandardClaims(raw: unknown): StandardClaims {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new GatehouseError('GH_USER_INVALID', 'claims must be a JSON object of OpenID Connect standard claims');
  }
  if ('sub' in raw) {
    throw new GatehouseError('GH_USER_INVALID', 'claims: `sub` cannot be set: it is the user id, assigned by Gatehouse');
  }
  const unknown = Object.keys(raw).filter((k) => !(STANDARD_CLAIM_NAMES as readonly string[]).includes(k));
  if (unknown.length) {
    throw new GatehouseError(
      'GH_USER_INVALID',
      `claims: unknown claim ${unknown.map((k) => JSON.stringify(k.slice(0, 64))).join(', ')} (OIDC Core §5.1 standard claims only: ${STANDARD_CLAIM_NAMES.join(', ')})`,
    );
  }
  const r = standardClaimsSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    const why = issue.code === 'unrecognized_keys' ? `unknown member ${issue.keys.join(', ')}` : issue.message;
    throw new GatehouseError('GH_USER_INVALID', `claims: ${path || 'value'}: ${why}`);
  }
  return r.data as StandardClaims;
}
