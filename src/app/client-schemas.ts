import { z } from 'zod';
import { CLAIM_DESTINATIONS } from '../core/claims/claim-catalog.ts';

/**
 * The shape of client metadata an operator may set: RFC 7591 §2 and OpenID Connect Registration
 * §2 members (plus the logout specs, RFC 9126, RFC 9101 and Gatehouse's `first_party`), typed
 * for JSON Schema. Only the shape lives here: the rules (allowed values, URL forms, combinations)
 * are the one validator in src/core/registration/client-metadata.ts, shared with DCR. Unknown
 * members are refused, so a misspelt member is named instead of ignored.
 */
const str = z.string().max(2000);
const strs = z.array(z.string().max(2000)).max(100);
const members = {
  client_name: z.string().max(200),
  redirect_uris: strs,
  grant_types: strs,
  response_types: strs,
  token_endpoint_auth_method: str,
  token_endpoint_auth_signing_alg: str,
  scope: str,
  jwks: z.looseObject({ keys: z.array(z.record(z.string(), z.unknown())).max(100) }),
  jwks_uri: str,
  application_type: str,
  access_token_format: str,
  client_uri: str,
  logo_uri: str,
  tos_uri: str,
  policy_uri: str,
  contacts: z.array(z.string().max(2000)).max(20),
  software_id: str,
  software_version: str,
  post_logout_redirect_uris: strs,
  backchannel_logout_uri: str,
  backchannel_logout_session_required: z.boolean(),
  frontchannel_logout_uri: str,
  frontchannel_logout_session_required: z.boolean(),
  id_token_signed_response_alg: str,
  subject_type: str,
  sector_identifier_uri: str,
  request_object_signing_alg: str,
  require_pushed_authorization_requests: z.boolean(),
  default_max_age: z.number().int().min(0).max(999_999_999),
  require_auth_time: z.boolean(),
  first_party: z.boolean(),
  strict_assertion_audience: z.boolean(),
  dpop_bound_access_tokens: z.boolean().describe('RFC 9449 §5.2: every token request of this client must carry a DPoP proof'),
  claim_mappings: z
    .record(
      z.string().max(64),
      z.strictObject({ claim: z.string().max(64).optional(), destinations: z.array(z.enum(CLAIM_DESTINATIONS)).max(CLAIM_DESTINATIONS.length).optional() }),
    )
    .describe('Gatehouse: per source (roles, groups, an attribute) the claim name and destinations for this client (docs/users.md)'),
  token_exchange: z
    .strictObject({
      subject_clients: z.union([z.literal('*'), strs]).optional(),
      audiences: strs.optional(),
      delegation: z.boolean().optional(),
      impersonation: z.boolean().optional(),
    })
    .describe('Gatehouse: RFC 8693 token exchange policy: whose tokens the client may exchange, for which audiences and resources (docs/token-exchange.md)'),
} as const;

type Members = typeof members;
export type MetadataMember = keyof Members;

/** Every member an operator may set. */
export const METADATA_MEMBERS = Object.keys(members) as readonly MetadataMember[];

/** `clients.create`: the metadata of the new client. */
export const clientMetadataSchema = z.strictObject(
  Object.fromEntries(Object.entries(members).map(([k, v]) => [k, v.optional()])) as { [K in MetadataMember]: z.ZodOptional<Members[K]> },
);

/** `clients.update`: members to change; null removes a member (its default applies again). */
export const clientMetadataChangesSchema = z
  .strictObject(
    Object.fromEntries(Object.entries(members).map(([k, v]) => [k, v.nullable().optional()])) as {
      [K in MetadataMember]: z.ZodOptional<z.ZodNullable<Members[K]>>;
    },
  )
  .refine((o) => Object.keys(o).length > 0, 'name at least one member to change');
