import type { ClientFixture } from '../lib/types.ts';

/** RFC 6749 §2.3.1: client_id and client_secret are form-urlencoded, then joined for Basic. */
export function basicAuth(client: ClientFixture): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(client.clientId)}:${enc(client.clientSecret)}`).toString('base64')}`;
}

export const FORM = 'application/x-www-form-urlencoded';

export function form(params: Readonly<Record<string, string>>): string {
  return new URLSearchParams(params).toString();
}

/** The client_credentials token request a client fixture makes. */
export function tokenRequest(client: ClientFixture) {
  return {
    headers: { authorization: basicAuth(client), 'content-type': FORM, accept: 'application/json' },
    body: form({ grant_type: 'client_credentials', scope: client.scope, ...client.extraParams }),
  };
}

export function parseJson(body: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Decoded JOSE header of a compact JWS, or null when the value is not one. */
export function jwsHeader(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  return parseJson(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
}

/** Checks a token endpoint success response (RFC 6749 §5.1); returns the problem or null. */
export function checkTokenResponse(status: number, body: string): { problem: string } | { token: string } {
  if (status !== 200) return { problem: `token endpoint answered ${status}: ${body.slice(0, 200)}` };
  const json = parseJson(body);
  if (!json) return { problem: `token response is not a JSON object: ${body.slice(0, 200)}` };
  if (typeof json.access_token !== 'string' || !json.access_token) return { problem: 'no access_token in token response' };
  if (typeof json.token_type !== 'string' || json.token_type.toLowerCase() !== 'bearer') return { problem: `token_type is ${String(json.token_type)}` };
  return { token: json.access_token };
}

const AT = '"access_token":"';

/**
 * The access_token value of a token response, found without parsing JSON (it runs on every
 * response in the load generator); null when absent.
 */
export function accessTokenOf(body: string): string | null {
  const i = body.indexOf(AT);
  if (i < 0) return null;
  const end = body.indexOf('"', i + AT.length);
  return end < 0 ? null : body.slice(i + AT.length, end);
}

/** A compact JWS has exactly two dots; base64url opaque tokens have none. */
export function looksLikeJws(token: string): boolean {
  const a = token.indexOf('.');
  if (a <= 0) return false;
  const b = token.indexOf('.', a + 1);
  return b > a + 1 && token.indexOf('.', b + 1) < 0 && b < token.length - 1;
}
