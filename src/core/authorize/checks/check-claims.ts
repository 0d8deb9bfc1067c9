import { parseClaimsRequest } from '../../claims/claims-request.ts';
import type { ClaimsRequest } from '../../model/authorization-code.ts';
import { param, spaceList, type Params } from './params.ts';

/**
 * OIDC Core §5.5 claims: "This parameter is used to request that specific Claims be returned."
 * Parsed (and refused with invalid_request when it is not the §5.5 JSON) by the shared parser;
 * an object that asks for nothing is kept as null.
 */
export function checkClaims(params: Params): ClaimsRequest | null {
  const raw = param(params, 'claims');
  if (raw === undefined) return null;
  const parsed = parseClaimsRequest(raw);
  return parsed.id_token === undefined && parsed.userinfo === undefined ? null : parsed;
}

/**
 * OIDC Core §3.1.2.1 acr_values: "Requested Authentication Context Class Reference values.
 * Space-separated string that specifies the acr values that the Authorization Server is being
 * requested to use for processing this Authentication Request, with the values appearing in
 * order of preference." A voluntary request (§5.5.1.1): values this server cannot satisfy are
 * not an error; the ID token's `acr` says what was actually done.
 */
export function checkAcrValues(params: Params): readonly string[] {
  return spaceList(params, 'acr_values', { items: 16, length: 1024 });
}

/**
 * The `acr` values an essential `acr` claim request demands (OIDC Core §5.5.1.1), or null when
 * `acr` is not requested as essential with a value. "If this is an Essential Claim and the
 * requirement cannot be met, then the Authorization Server MUST treat that outcome as a failed
 * authentication attempt."
 */
export function essentialAcr(claims: ClaimsRequest | null): readonly string[] | null {
  const entry = claims?.id_token?.['acr'];
  if (!entry || entry.essential !== true) return null;
  const wanted = [...(entry.values ?? []), ...(entry.value !== undefined ? [entry.value] : [])].filter((v): v is string => typeof v === 'string');
  return wanted.length > 0 ? wanted : null;
}
