import { z } from 'zod';
import { CLAIM_NAME, isReservedClaim, RESERVED_SCOPES } from '../core/claims/claim-catalog.ts';
import { isScopeToken } from '../core/model/scope.ts';

/** Bounds (S20): how many attributes and scopes, how long a stored string may be. */
export const MAX_ATTRIBUTES = 64;
export const MAX_ATTRIBUTE_STRING = 4096;
const DEFAULT_ATTRIBUTE_STRING = 256;

const description = z.string().min(1).max(200).optional().describe('What the attribute holds (for operators reading the config).');

const stringAttribute = z
  .object({
    type: z.literal('string'),
    minLength: z.number().int().min(1).max(MAX_ATTRIBUTE_STRING).optional().describe('Fewest characters (default 1).'),
    maxLength: z
      .number()
      .int()
      .min(1)
      .max(MAX_ATTRIBUTE_STRING)
      .default(DEFAULT_ATTRIBUTE_STRING)
      .describe(`Most characters (default ${DEFAULT_ATTRIBUTE_STRING}, at most ${MAX_ATTRIBUTE_STRING}).`),
    pattern: z
      .string()
      .min(1)
      .max(500)
      .refine((p) => {
        try {
          new RegExp(p, 'u');
          return true;
        } catch {
          return false;
        }
      }, 'must be a valid regular expression (JavaScript, `u` flag), e.g. "^[0-9]{6}$"')
      .optional()
      .describe('Regular expression the whole value must match.'),
    enum: z.array(z.string().min(1).max(MAX_ATTRIBUTE_STRING)).min(1).max(100).optional().describe('The only values allowed.'),
    description,
  })
  .strict();

const numberAttribute = z
  .object({
    type: z.enum(['integer', 'number']),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    description,
  })
  .strict();

const booleanAttribute = z.object({ type: z.literal('boolean'), description }).strict();

export const attributeDefinitionSchema = z.discriminatedUnion('type', [stringAttribute, numberAttribute, booleanAttribute], {
  error: (issue) => (issue.code === 'invalid_union' ? 'type must be one of string, integer, number, boolean' : undefined),
});

export const userAttributesSchema = z
  .record(z.string(), attributeDefinitionSchema)
  .default({})
  .describe(
    'Custom user attributes: name → `{ type: string|integer|number|boolean, … }` (string: `maxLength`, `minLength`, `pattern`, `enum`; numbers: `minimum`, `maximum`). Set with `gatehouse users create|update --attr NAME=VALUE`; released to clients only through a scope in `claims.scopes` (docs/users.md).',
  );

export const claimScopesSchema = z
  .record(
    z.string(),
    z
      .object({
        claims: z.array(z.string()).min(1).max(MAX_ATTRIBUTES).describe('Attributes this scope releases.'),
        description: z.string().min(1).max(200).describe('What the consent page shows for this scope, e.g. "Your department and employee number".'),
      })
      .strict(),
  )
  .default({})
  .describe(
    'Scopes that release custom attributes: scope → `{ claims: [attribute, …], description }`. The built-in scopes `roles` and `groups` release the claims `roles` and `groups`.',
  );

interface ClaimsConfigSlice {
  readonly users: { readonly attributes: Readonly<Record<string, z.output<typeof attributeDefinitionSchema>>> };
  readonly claims: { readonly scopes: Readonly<Record<string, { readonly claims: readonly string[] }>> };
}

/** Cross-field rules for attributes and scopes (names, collisions, references); each `path: message`. */
export function claimsConfigProblems(c: ClaimsConfigSlice): string[] {
  const out: string[] = [];
  const names = Object.keys(c.users.attributes);
  if (names.length > MAX_ATTRIBUTES) out.push(`users.attributes: at most ${MAX_ATTRIBUTES} attributes (got ${names.length})`);
  for (const [name, def] of Object.entries(c.users.attributes)) {
    const at = `users.attributes.${name}`;
    if (!CLAIM_NAME.test(name)) out.push(`${at}: the name must be a letter, then letters, digits or _ (at most 64), e.g. employee_number`);
    else if (isReservedClaim(name))
      out.push(`${at}: ${name} is an OpenID Connect standard claim or a registered JWT/token claim; store standard claims with --claim, or pick another name`);
    if (def.type === 'string') {
      if (def.minLength !== undefined && def.minLength > def.maxLength) out.push(`${at}.minLength: must not exceed maxLength (${def.maxLength})`);
      const tooLong = def.enum?.find((v) => v.length > def.maxLength);
      if (tooLong !== undefined) out.push(`${at}.enum: ${JSON.stringify(tooLong.slice(0, 40))} is longer than maxLength (${def.maxLength})`);
    }
    if (def.type !== 'string' && def.type !== 'boolean' && def.minimum !== undefined && def.maximum !== undefined && def.minimum > def.maximum)
      out.push(`${at}.minimum: must not exceed maximum`);
  }
  for (const [scope, def] of Object.entries(c.claims.scopes)) {
    const at = `claims.scopes.${scope}`;
    if (!isScopeToken(scope)) out.push(`${at}: not a scope value (RFC 6749 §3.3: printable ASCII without spaces, quotes or backslashes)`);
    else if (RESERVED_SCOPES.includes(scope)) out.push(`${at}: ${scope} is a built-in scope; choose another name`);
    def.claims.forEach((claim, i) => {
      if (!Object.hasOwn(c.users.attributes, claim))
        out.push(
          `${at}.claims.${i}: ${claim} is not defined in users.attributes${names.length ? ` (defined: ${names.join(', ')})` : ''}; roles and groups have their own scopes`,
        );
    });
  }
  return out;
}
