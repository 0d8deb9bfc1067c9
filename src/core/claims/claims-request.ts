import { OAuthError } from '../errors.ts';
import type { ClaimRequestEntry, ClaimsRequest } from '../model/authorization-code.ts';

/** Bounds on a `claims` parameter: generous for real requests, small enough to keep in a token. */
const MAX_JSON_LENGTH = 8192;
const MAX_CLAIMS_PER_MEMBER = 64;
const MAX_CLAIM_NAME_LENGTH = 256;
const MAX_VALUES = 32;

type Member = Readonly<Record<string, ClaimRequestEntry | null>>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(description: string): OAuthError {
  return OAuthError.invalidRequest(`claims parameter: ${description}`);
}

/** OIDC Core §5.5.1: one entry is `null` or an object with `essential`, `value`, `values`. */
function parseEntry(where: string, raw: unknown): ClaimRequestEntry | null {
  if (raw === null) return null;
  if (!isObject(raw)) throw invalid(`${where} must be null or a JSON object`);
  const entry: { essential?: boolean; value?: unknown; values?: readonly unknown[] } = {};
  if (raw.essential !== undefined) {
    if (typeof raw.essential !== 'boolean') throw invalid(`${where}.essential must be a boolean`);
    entry.essential = raw.essential;
  }
  if (raw.value !== undefined) entry.value = raw.value;
  if (raw.values !== undefined) {
    if (!Array.isArray(raw.values)) throw invalid(`${where}.values must be an array`);
    if (raw.values.length > MAX_VALUES) throw invalid(`${where}.values has too many entries`);
    entry.values = raw.values;
  }
  // OIDC Core §5.5.1: "Other members MAY be defined [...] Any members used that are not
  // understood MUST be ignored."
  return entry;
}

function parseMember(name: 'userinfo' | 'id_token', raw: unknown): Member {
  if (!isObject(raw)) throw invalid(`${name} must be a JSON object`);
  const names = Object.keys(raw);
  if (names.length > MAX_CLAIMS_PER_MEMBER) throw invalid(`${name} requests too many claims`);
  const out: [string, ClaimRequestEntry | null][] = [];
  for (const claim of names) {
    if (claim === '' || claim.length > MAX_CLAIM_NAME_LENGTH) throw invalid(`${name} has an invalid claim name`);
    out.push([claim, parseEntry(`${name}.${claim}`, raw[claim])]);
  }
  // Object.fromEntries defines own properties, so a `__proto__` claim name stays plain data.
  return Object.freeze(Object.fromEntries(out));
}

/**
 * Parses the OIDC Core §5.5 `claims` request parameter: "a JSON object listing the requested
 * Claims" with the optional top-level members `userinfo` and `id_token`, each an object of
 * claim name → `null` | `{ essential, value, values }`. Other top-level members are ignored
 * ("Other members MAY be present. Any members used that are not understood MUST be ignored").
 * Anything that is not such JSON is refused with invalid_request and a description saying why.
 */
export function parseClaimsRequest(json: string): ClaimsRequest {
  if (json.length > MAX_JSON_LENGTH) throw invalid('too long');
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw invalid('not valid JSON');
  }
  if (!isObject(parsed)) throw invalid('must be a JSON object');
  const out: { userinfo?: Member; id_token?: Member } = {};
  if (parsed.userinfo !== undefined) out.userinfo = parseMember('userinfo', parsed.userinfo);
  if (parsed.id_token !== undefined) out.id_token = parseMember('id_token', parsed.id_token);
  return Object.freeze(out);
}

/** The claim names one member asks for (own keys only). */
export function requestedClaimNames(member: Member | undefined): readonly string[] {
  return member ? Object.keys(member) : [];
}

/** True when the request asks for nothing at all (no member or only empty members). */
export function isEmptyClaimsRequest(req: ClaimsRequest | null): boolean {
  return !req || (requestedClaimNames(req.userinfo).length === 0 && requestedClaimNames(req.id_token).length === 0);
}
