import { CONSOLE_CLIENT_ID } from './http/console/console-session.ts';
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../test/support/server.ts';
import { UserAgent } from '../test/support/user-agent.ts';
import { bootstrapDevelopment, DEMO_REDIRECT_URI, DEMO_SCOPE } from './bootstrap.ts';
import { oidcMetadata } from './core/model/client-oidc.ts';

const ALL_USERS = { limit: 500, sort: 'username', order: 'asc' } as const;
const ALL_CLIENTS = { limit: 500, sort: 'client_id', order: 'asc' } as const;
const servers: TestServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function server(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  const s = await startTestServer(overrides);
  servers.push(s);
  return s;
}

async function bootstrap(s: TestServer): Promise<string> {
  const out: string[] = [];
  await bootstrapDevelopment(s.gh.services, (t) => out.push(t));
  return out.join('\n');
}

const grab = (text: string, re: RegExp) => {
  const m = re.exec(text);
  assert.ok(m?.[1], `${re} in:\n${text}`);
  return m[1];
};

describe('development first start', () => {
  test('creates and prints, once, a demo user and a demo public client (code + PKCE, RFC 8252 loopback)', async () => {
    const s = await server();
    const printed = await bootstrap(s);
    const password = grab(printed, /password:\s+(\S+)/);
    const publicId = grab(printed, /public client_id:\s+(\S+)/);
    assert.match(printed, /client_secret:\s+\S+/, 'the demo service client is still created');

    const ctx = s.gh.services;
    const user = await ctx.userService.authenticate('demo', password);
    assert.equal(user?.username, 'demo');
    assert.deepEqual(user?.roles, ['user']);
    assert.match(user!.passwordHash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    const app = await ctx.storage.clients.get(ctx.tenantId, publicId);
    assert.ok(app);
    assert.equal(app.tokenEndpointAuthMethod, 'none');
    assert.equal(app.secretHash, null);
    assert.deepEqual(app.grantTypes, ['authorization_code', 'refresh_token']);
    assert.deepEqual(app.responseTypes, ['code']);
    assert.deepEqual(app.redirectUris, [DEMO_REDIRECT_URI]);
    assert.deepEqual(app.scopes, DEMO_SCOPE.split(' '));
    assert.equal(oidcMetadata(app).firstParty, false);
    assert.equal(oidcMetadata(app).applicationType, 'native');

    assert.equal(await bootstrap(s), '', 'a second start prints nothing and creates nothing');
    assert.equal((await ctx.storage.users.page(ctx.tenantId, ALL_USERS)).items.length, 1);
    // The demo clients, plus the console's built-in client (docs/console.md), which does not stop them.
    const ids = (await ctx.storage.clients.page(ctx.tenantId, ALL_CLIENTS)).items.map((c) => c.clientId);
    assert.equal(ids.filter((id) => id !== CONSOLE_CLIENT_ID).length, 2);
  });

  test('the printed instructions work: sign in as demo, consent, redeem the code with the printed verifier', async () => {
    const s = await server();
    const printed = await bootstrap(s);
    const password = grab(printed, /password:\s+(\S+)/);
    const authorize = new URL(grab(printed, /try: open (\S+)/));
    const verifier = grab(printed, /code_verifier=(\S+)/);
    const publicId = grab(printed, /public client_id:\s+(\S+)/);
    // The printed URL names the configured issuer; the test server listens at s.url.
    const url = new URL(`${s.url}${authorize.pathname}${authorize.search}`);
    const out = await new UserAgent(s.url).authorize(url, { username: 'demo', password, consent: 'allow' });
    assert.equal(out.kind, 'redirect', out.kind === 'page' ? out.page.text.slice(0, 300) : '');
    const callback = (out as { url: URL }).url;
    assert.equal(`${callback.origin}${callback.pathname}`, DEMO_REDIRECT_URI);
    assert.equal(callback.searchParams.get('state'), url.searchParams.get('state'));
    const res = await fetch(`${s.url}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: publicId,
        redirect_uri: DEMO_REDIRECT_URI,
        code_verifier: verifier,
        code: callback.searchParams.get('code')!,
      }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(typeof body['id_token'], 'string');
    assert.equal(typeof body['refresh_token'], 'string', 'offline_access was granted');
  });

  test('production: nothing is created or printed', async () => {
    const s = await server({ env: 'production' });
    assert.equal(await bootstrap(s), '');
    assert.deepEqual((await s.gh.services.storage.users.page(s.gh.ctx.tenantId, ALL_USERS)).items, []);
    assert.deepEqual(
      (await s.gh.services.storage.clients.page(s.gh.ctx.tenantId, ALL_CLIENTS)).items.map((c) => c.clientId),
      [CONSOLE_CLIENT_ID],
      'only the console client',
    );
  });
});
