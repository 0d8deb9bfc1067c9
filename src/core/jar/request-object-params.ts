import type { JWTPayload } from 'jose';
import { OAuthError } from '../errors.ts';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../json-depth.ts';

/** JWT claims of the object itself, not authorization request parameters. */
const ENVELOPE_CLAIMS: ReadonlySet<string> = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sub']);
/** Members that carry JSON in the query syntax (OIDC Core §5.5 `claims`, RFC 9396 `authorization_details`). */
const JSON_MEMBERS: ReadonlySet<string> = new Set(['claims', 'authorization_details']);

const invalid = (description: string) => OAuthError.of('invalid_request_object', description);

/** One claim value in the parameter syntax: strings as they are, numbers/booleans as text, JSON members serialized. */
function toParam(name: string, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (JSON_MEMBERS.has(name) && typeof value === 'object') {
    // Bounded before it is serialised: deep nesting parses but overflows JSON.stringify (src/core/json-depth.ts).
    if (jsonTooDeep(value)) throw invalid(`the request object member ${name} nests deeper than ${MAX_JSON_DEPTH} levels`);
    return JSON.stringify(value);
  }
  // A repeated parameter travels as an array (oauth4webapi does so for RFC 8707 `resource`).
  // `resource` values are absolute URIs without spaces, so they join space-separated as the
  // authorization endpoint carries them; any other parameter may have one value only.
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v !== '')) {
    if (value.length === 1) return value[0] as string;
    if (name === 'resource' && value.every((v) => !/\s/.test(v as string))) return value.join(' ');
  }
  throw invalid(`the request object member ${name.slice(0, 50)} has a value that is not a parameter`);
}

/**
 * The authorization parameters of a verified request object.
 *
 * RFC 9101 §6.3: "The authorization server MUST only use the parameters in the Request Object,
 * even if the same parameter is provided in the query parameter." The outer `client_id` names the
 * client (RFC 9101 §5) and is kept. OIDC Core §6.1: "values for the response_type and client_id
 * parameters MUST be included using the OAuth 2.0 request syntax [...] The values for these
 * parameters MUST match those in the Request Object, if present."
 */
export function requestObjectParams(payload: JWTPayload, clientId: string, outer: Readonly<Record<string, string>>): Record<string, string> {
  // OIDC Core §6.1: "The request and request_uri parameters MUST NOT be included in Request Objects."
  if ('request' in payload || 'request_uri' in payload) throw invalid('a request object must not contain request or request_uri');
  const params: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(payload)) {
    if (ENVELOPE_CLAIMS.has(name)) continue;
    const v = toParam(name, value);
    if (v !== undefined && v !== '') params[name] = v;
  }
  if (params.client_id !== undefined && params.client_id !== clientId) throw invalid('client_id in the request object does not match the client_id parameter');
  params.client_id = clientId;
  const outerType = outer['response_type'];
  if (outerType !== undefined) {
    if (params.response_type === undefined) params.response_type = outerType;
    else if (params.response_type !== outerType) throw invalid('response_type in the request object does not match the response_type parameter');
  }
  return params;
}
