/**
 * The five endpoints that authenticate clients (/token, /par, /introspect, /revoke,
 * /device_authorization), each called through oauth4webapi with a request that is valid apart
 * from the client authentication under test, so a refusal can only come from that
 * authentication and an accepted one would have had an effect (a token, a pushed request, an
 * introspection answer, a revocation, a device code). Shared by the client-authentication matrix
 * and the assertion replay tests.
 *
 *   const as = await discover(s.url);
 *   const res = await callEndpoint(as, 'par', c.client_id, oauth.ClientSecretPost(secret), { token: '' });
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/core/device-authorization/device-authorization.ts';
import type { EventMap, EventName } from '../../src/core/events.ts';
import type { Gatehouse } from '../../src/compose.ts';
import { INSECURE } from './oauth-client.ts';

export const ENDPOINTS = ['token', 'par', 'introspect', 'revoke', 'device_authorization'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** The HTTP status each endpoint answers an accepted request with. */
export const ACCEPTED_STATUS: Readonly<Record<Endpoint, number>> = { token: 200, par: 201, introspect: 200, revoke: 200, device_authorization: 200 };

export const CLIENT_REDIRECT = 'https://app.example/cb';

/**
 * RFC 7591 metadata of a client that may use every endpoint: code flow (PAR), device flow and,
 * unless public, client_credentials (to get tokens to introspect and revoke).
 */
export function allEndpointsMetadata(method: string): Record<string, unknown> {
  return {
    token_endpoint_auth_method: method,
    grant_types: [...(method === 'none' ? [] : ['client_credentials']), 'authorization_code', DEVICE_CODE_GRANT_TYPE],
    response_types: ['code'],
    redirect_uris: [CLIENT_REDIRECT],
    scope: 'read write',
  };
}

export interface CallOptions {
  /** The token for /introspect and /revoke. */
  readonly token?: string;
  /**
   * The grant at /token: `client_credentials` (confidential clients; a success issues a token) or
   * `device_code` with a code never issued (a grant public clients may use: a success is a 400).
   */
  readonly grant?: 'client_credentials' | 'device_code';
}

/** One request to `endpoint` as client `clientId` authenticating with `auth`. */
export async function callEndpoint(
  as: oauth.AuthorizationServer,
  endpoint: Endpoint,
  clientId: string,
  auth: oauth.ClientAuth,
  opts: CallOptions = {},
): Promise<Response> {
  const client: oauth.Client = { client_id: clientId };
  switch (endpoint) {
    case 'token':
      return opts.grant === 'device_code'
        ? oauth.deviceCodeGrantRequest(as, client, auth, randomBytes(32).toString('base64url'), INSECURE)
        : oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'read' }, INSECURE);
    case 'par': {
      const challenge = await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier());
      return oauth.pushedAuthorizationRequest(
        as,
        client,
        auth,
        {
          response_type: 'code',
          redirect_uri: CLIENT_REDIRECT,
          scope: 'read',
          state: oauth.generateRandomState(),
          code_challenge: challenge,
          code_challenge_method: 'S256',
        },
        INSECURE,
      );
    }
    case 'introspect':
      return oauth.introspectionRequest(as, client, auth, opts.token ?? 'no-such-token', INSECURE);
    case 'revoke':
      return oauth.revocationRequest(as, client, auth, opts.token ?? 'no-such-token', INSECURE);
    case 'device_authorization':
      return oauth.deviceAuthorizationRequest(as, client, auth, { scope: 'read' }, INSECURE);
  }
}

/** Events that mean something was issued, stored, changed or disclosed for a client. */
export const EFFECT_EVENTS = [
  'token.issued',
  'token.revoked',
  'grant.revoked',
  'refresh_token.rotated',
  'token.introspected',
  'device_code.issued',
  'authorization_request.pushed',
] as const satisfies readonly EventName[];

export interface EventLog {
  /** Effect events seen so far, by name. */
  readonly effects: { readonly name: EventName; readonly clientId: string | null }[];
  readonly failures: EventMap['client_auth.failed'][];
  close(): void;
}

/** Records effect events and `client_auth.failed` on `gh`'s event bus. */
export function recordEvents(gh: Gatehouse): EventLog {
  const effects: { name: EventName; clientId: string | null }[] = [];
  const failures: EventMap['client_auth.failed'][] = [];
  const offs = EFFECT_EVENTS.map((name) => gh.ctx.events.on(name, (e) => effects.push({ name, clientId: e.clientId })));
  offs.push(gh.ctx.events.on('client_auth.failed', (e) => failures.push(e)));
  return { effects, failures, close: () => offs.forEach((off) => off()) };
}

/**
 * RFC 6749 §5.2: "invalid_client: Client authentication failed [...] The authorization server MAY
 * return an HTTP 401 (Unauthorized) status code [...]. If the client attempted to authenticate via
 * the "Authorization" request header field, the authorization server MUST respond with an HTTP
 * 401 (Unauthorized) status code and include the "WWW-Authenticate" response header field". This
 * server answers every failed client authentication that way, with the same body whatever the
 * cause (the wire never says which client exists or why).
 */
export async function assertInvalidClient(res: Response, what: string): Promise<void> {
  const body = await res.text();
  assert.equal(res.status, 401, `${what}: 401 (got ${res.status} ${body.slice(0, 200)})`);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="gatehouse", error="invalid_client"$/, `${what}: WWW-Authenticate`);
  assert.equal(res.headers.get('cache-control'), 'no-store', `${what}: no-store`);
  assert.deepEqual(JSON.parse(body), { error: 'invalid_client', error_description: 'client authentication failed' }, `${what}: body`);
}
