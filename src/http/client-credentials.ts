import type { ClientCredentials } from '../core/client-auth/types.ts';
import { OAuthError } from '../core/errors.ts';

/** RFC 7523 §2.2: the only `client_assertion_type` this server accepts. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** What the extractor reads from a request: just its headers (a FastifyRequest fits). */
export interface RequestWithHeaders {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** Single-valued form parameters, as returned by `readOAuthForm(...).single`. */
export type SingleParams = Readonly<Record<string, string | undefined>>;

const BASIC = /^basic(?:\s+(.*))?$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function basicFailure(reason: string): OAuthError {
  // RFC 6749 §5.2: "If the client attempted to authenticate via the "Authorization" request header
  // field, the authorization server MUST respond with an HTTP 401 (Unauthorized) status code and
  // include the "WWW-Authenticate" response header field matching the authentication scheme used
  // by the client." A Basic header we cannot read is a failed authentication attempt.
  return OAuthError.invalidClient('client authentication failed', reason, 'Basic');
}

/**
 * RFC 6749 §2.3.1: "The client identifier is encoded using the application/x-www-form-urlencoded
 * encoding algorithm [...] and the encoded value is used as the username; the client password is
 * encoded using the same algorithm and used as the password."
 */
function formDecode(value: string): string | null {
  // Nothing to decode (the usual random client id and secret): skip the regex and the decoder.
  if (value.indexOf('%') < 0 && value.indexOf('+') < 0) return value;
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

function parseBasic(header: string): { clientId: string; clientSecret: string } | null | undefined {
  const m = BASIC.exec(header.trim());
  if (!m) return undefined; // another scheme: not client authentication
  const token = (m[1] ?? '').trim();
  if (!token || !BASE64.test(token) || token.length % 4 !== 0) throw basicFailure('basic credentials are not base64');
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw basicFailure('basic credentials have no colon');
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (clientId === null || clientSecret === null) throw basicFailure('basic credentials are not form-urlencoded');
  if (clientId === '') throw basicFailure('basic credentials have an empty client id');
  return { clientId, clientSecret };
}

function authorizationHeader(request: RequestWithHeaders): string | undefined {
  const h = request.headers['authorization'];
  if (h === undefined) return undefined;
  if (typeof h !== 'string') throw OAuthError.invalidRequest('more than one Authorization header');
  return h;
}

/**
 * Reads the client credentials of a token / introspection / revocation request (parse in http/,
 * decide in core/). Returns what was presented; the ClientAuthenticator judges it.
 *
 * RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
 * Two mechanisms (Basic + body secret, assertion + secret, …) are refused with invalid_request.
 */
export function extractClientCredentials(request: RequestWithHeaders, form: SingleParams): ClientCredentials {
  const header = authorizationHeader(request);
  const basic = header === undefined ? undefined : parseBasic(header);
  const formId = form['client_id'] || undefined;
  const secret = form['client_secret'];
  const assertion = form['client_assertion'];
  const assertionType = form['client_assertion_type'];
  const hasAssertion = assertion !== undefined || assertionType !== undefined;

  if (basic) {
    if (secret !== undefined || hasAssertion) {
      throw OAuthError.invalidRequest('more than one client authentication method', 'basic plus body credentials');
    }
    if (formId !== undefined && formId !== basic.clientId) {
      throw OAuthError.invalidRequest('client_id does not match the authenticated client', 'basic id differs from form client_id');
    }
    return { kind: 'basic', clientId: basic.clientId, clientSecret: basic.clientSecret };
  }

  if (hasAssertion) {
    if (secret !== undefined) {
      throw OAuthError.invalidRequest('more than one client authentication method', 'assertion plus client_secret');
    }
    // RFC 7521 §4.2: client_assertion_type and client_assertion are both REQUIRED.
    if (assertion === undefined || assertionType === undefined) {
      throw OAuthError.invalidRequest('client_assertion and client_assertion_type must be sent together');
    }
    // RFC 7523 §2.2: "The value of the "client_assertion_type" is
    // "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"." Any other type is an unsupported
    // authentication method, which RFC 6749 §5.2 answers with invalid_client.
    if (assertionType !== JWT_BEARER_ASSERTION_TYPE) {
      throw OAuthError.invalidClient('unsupported client_assertion_type', `client_assertion_type ${assertionType.slice(0, 100)}`);
    }
    return { kind: 'assertion', assertionType, assertion, clientId: formId };
  }

  if (secret !== undefined) {
    if (formId === undefined) throw OAuthError.invalidRequest('client_secret requires client_id');
    return { kind: 'post', clientId: formId, clientSecret: secret };
  }
  if (formId !== undefined) return { kind: 'none', clientId: formId };
  return { kind: 'absent' };
}
