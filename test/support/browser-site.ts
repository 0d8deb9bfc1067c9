/**
 * The whole Gatehouse server (real authorization core, user service with argon2id, memory store)
 * plus a relying party on a tiny local site, for the Chromium page tests. The RP is a public
 * client (PKCE S256, loopback redirect URI), so it gets the consent page on every request (RFC
 * 8252 §8.6: its identity cannot be proven); `redeem` trades a code at the token endpoint and
 * returns the ID token's claims, so a test proves which account signed in.
 *
 *   const site = await startBrowserSite();
 *   await site.addUser('alice', 'pw', 'Alice Example');
 *   await page.goto(site.authorizeUrl({ state: 's' }));
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../../src/config/schema.ts';
import { startClientSite, type ClientSite } from './browser.ts';
import { createTestUser } from './oidc.ts';
import { createTestClient, startTestServer, type TestServer, type TestServerOptions } from './server.ts';

export const CLIENT_NAME = 'Browser Test App';

export interface BrowserSite {
  readonly url: string;
  readonly config: Config;
  readonly rp: ClientSite;
  readonly clientId: string;
  /** The running server (to register more clients). */
  readonly server: TestServer;
  /** A user with a password (and a display name), created through the user service. */
  addUser(username: string, password: string, name?: string): Promise<string>;
  /** An authorization URL for the RP, with PKCE S256 (one verifier per site). */
  authorizeUrl(params?: Record<string, string>): string;
  /** Exchanges `code` at the token endpoint (as `clientId`, default the site's RP); the ID token's claims. */
  redeem(code: string, clientId?: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startBrowserSite(overrides: Record<string, unknown> = {}, opts: TestServerOptions = {}): Promise<BrowserSite> {
  const rp = await startClientSite();
  let server: TestServer;
  try {
    server = await startTestServer(overrides, opts);
  } catch (e) {
    await rp.close();
    throw e;
  }
  const { client_id: clientId } = await createTestClient(server.gh, {
    client_name: CLIENT_NAME,
    redirect_uris: [rp.redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'openid profile email address phone offline_access',
  });
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return {
    url: server.url,
    config: server.gh.ctx.config,
    rp,
    clientId,
    server,
    async addUser(username, password, name) {
      return (await createTestUser(server.gh, { username, password, claims: name ? { name } : {} })).id;
    },
    authorizeUrl(params = {}) {
      const u = new URL('/authorize', server.url);
      const all = {
        client_id: clientId,
        redirect_uri: rp.redirectUri,
        response_type: 'code',
        scope: 'openid',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        ...params,
      };
      for (const [k, v] of Object.entries(all)) u.searchParams.set(k, v);
      return u.href;
    },
    async redeem(code, client = clientId) {
      const res = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: rp.redirectUri, client_id: client, code_verifier: verifier }),
      });
      const body = (await res.json()) as { id_token?: string; error?: string };
      if (!res.ok || !body.id_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
      return JSON.parse(Buffer.from(body.id_token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    },
    async close() {
      await server.close();
      await rp.close();
    },
  };
}
