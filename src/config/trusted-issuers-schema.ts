import { z } from 'zod';
import { ASYMMETRIC_ALGS } from '../core/client-auth/assertion-algorithms.ts';
import { OAuthError } from '../core/errors.ts';
import { checkJwks } from '../core/registration/client-keys.ts';
import { RESERVED_LOCAL_CLAIMS, TRUSTED_ISSUER_USES } from '../core/trusted-issuers/trusted-issuer.ts';

/**
 * The registry of trusted external issuers (docs/jwt-bearer.md): identity providers whose signed
 * JWTs this server accepts as RFC 7523 §2.1 authorization grants, as ID-JAGs
 * (draft-ietf-oauth-identity-assertion-authz-grant) and as RFC 8693 subject tokens. Trust
 * anchors are deployment configuration: they live in the config file, reviewed with it, and are
 * validated once at start (S8).
 */
const subjectPattern = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !s.slice(0, -1).includes('*'), 'a subject pattern may hold `*` only at its end (`*` alone, or a prefix such as `user-*`)');

const jwksSchema = z.looseObject({ keys: z.array(z.record(z.string(), z.unknown())) }).superRefine((v, ctx) => {
  try {
    checkJwks(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof OAuthError ? (e.description ?? 'invalid JWK Set') : 'invalid JWK Set' });
  }
});

export const trustedIssuerSchema = z
  .object({
    issuer: z.string().min(1).max(2048).describe('The exact `iss` of the JWTs this entry trusts (compared as a string, no normalisation).'),
    jwks: jwksSchema.optional().describe("The issuer's public keys, inline (a JWK Set; RSA, EC or OKP public keys)."),
    jwksUri: z
      .string()
      .url()
      .optional()
      .describe(
        'Where the issuer publishes its JWK Set (https), fetched through the guarded outbound fetcher and cached `clientAuth.jwksCacheTtl` seconds; an unknown `kid` refetches at most every 30 s.',
      ),
    algorithms: z
      .array(z.enum(ASYMMETRIC_ALGS))
      .min(1)
      .default(['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'])
      .describe('JWS algorithms accepted from this issuer: asymmetric only (`none` and HMAC are never accepted).'),
    uses: z
      .array(z.enum(TRUSTED_ISSUER_USES))
      .min(1)
      .describe(
        'What its JWTs may be used for: `jwt-bearer` (RFC 7523 grant), `id-jag` (ID-JAG through that grant), `token-exchange` (RFC 8693 subject/actor token).',
      ),
    subjects: z
      .array(subjectPattern)
      .default([])
      .describe(
        'Accepted `sub` values: exact, `*` (any) or a prefix ending in `*` (`user-*`). Empty (the default): none, the entry accepts nothing until set.',
      ),
    audiences: z
      .array(z.string().min(1).max(2048))
      .default([])
      .describe("`aud` values accepted besides this server's issuer identifier and token endpoint URL."),
    clients: z
      .union([z.literal('*'), z.array(z.string().min(1).max(255))])
      .default([])
      .describe('Our client ids that may present its JWTs (`*`: any client registered for the grant). Empty (the default): none.'),
    maxLifetime: z
      .number()
      .int()
      .min(10)
      .max(86_400)
      .default(300)
      .describe('Longest accepted `exp - iat` and oldest accepted `iat` of its JWTs, in seconds (beyond `clientAuth.clockSkew`); `iat` is required.'),
    subjectMapping: z
      .object({
        localUser: z
          .enum(['none', 'username', 'user-id'])
          .default('none')
          .describe(
            "`none`: the issued token's `sub` is the external `sub`, no local user. `username`: the claim names an existing enabled local user by username; `user-id`: by user id. An unknown or disabled user is `invalid_grant`.",
          ),
        claim: z
          .string()
          .min(1)
          .max(64)
          .default('sub')
          .describe('The claim holding the local username or user id (e.g. `email` when usernames are e-mail addresses).'),
      })
      .strict()
      .prefault({})
      .describe("How the external subject becomes the issued token's subject."),
    adminScopes: z
      .boolean()
      .default(false)
      .describe(
        'Whether its JWTs may yield admin scopes (`gatehouse:admin`, `gatehouse:admin.read`) for a subject mapped to a local user (whose admin or auditor role the admin API still requires). Off by default: an external identity provider cannot reach the control plane unless the operator says so. Never for an unmapped external subject.',
      ),
    copyClaims: z
      .record(z.string().min(1).max(64), z.string().min(1).max(64))
      .default({})
      .refine((m) => Object.values(m).every((local) => !RESERVED_LOCAL_CLAIMS.has(local)), {
        message: `a copied claim may not be named ${[...RESERVED_LOCAL_CLAIMS].join(', ')}`,
      })
      .describe('External claims copied into the issued access token: `{ "external name": "name in our token" }`.'),
  })
  .strict()
  .refine((e) => (e.jwks === undefined) !== (e.jwksUri === undefined), { message: 'exactly one of jwks and jwksUri is required' });

export const trustedIssuersSchema = z
  .array(trustedIssuerSchema)
  .max(100)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((e, i) => {
      if (seen.has(e.issuer)) ctx.addIssue({ code: 'custom', path: [i, 'issuer'], message: 'the same issuer is listed twice' });
      seen.add(e.issuer);
    });
  })
  .describe(
    'Trusted external issuers (docs/jwt-bearer.md): `[{ issuer, jwks | jwksUri, algorithms, uses, subjects, audiences, clients, maxLifetime, subjectMapping, adminScopes, copyClaims }]`. Empty: the JWT bearer grant is not offered and token exchange accepts only our own tokens.',
  );
