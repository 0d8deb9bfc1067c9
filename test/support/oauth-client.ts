/**
 * oauth4webapi against a test server. The test issuer is plain http on loopback, which
 * oauth4webapi refuses unless `allowInsecureRequests` is passed: that option lives here, in tests
 * only, and is spread into every request (`{ ...INSECURE }`).
 */
import * as oauth from 'oauth4webapi';

export const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

/** Discovery as a real client does it: fetch, then validate (issuer must match exactly). */
export async function discover(url: string, algorithm: 'oauth2' | 'oidc' = 'oauth2'): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(url);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm, ...INSECURE }));
}

/** Basic-authenticated client_credentials grant, returning the processed token response. */
export async function clientCredentials(
  as: oauth.AuthorizationServer,
  client: { client_id: string; client_secret: string },
  params: Record<string, string> | URLSearchParams = {},
): Promise<oauth.TokenEndpointResponse> {
  const c: oauth.Client = { client_id: client.client_id };
  const res = await oauth.clientCredentialsGrantRequest(as, c, oauth.ClientSecretBasic(client.client_secret), params, INSECURE);
  return oauth.processClientCredentialsResponse(as, c, res);
}

/**
 * A Basic-authenticated client_credentials request at `{base}/token` carrying `proof` in its
 * `DPoP` header as it is (to replay one proof by hand at several instances): answers
 * "<status> <token_type>" or "<status> <error>: <error_description>".
 */
export async function clientCredentialsWithProof(base: string, client: { client_id: string; client_secret: string }, proof: string): Promise<string> {
  const res = await fetch(`${base}/token`, {
    method: 'POST',
    headers: {
      dpop: proof,
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { token_type?: string; error?: string; error_description?: string };
  return `${res.status} ${body.token_type ?? `${body.error}: ${body.error_description}`}`;
}
