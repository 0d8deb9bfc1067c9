/**
 * OIDC Core §8.1 pairwise subjects over real HTTP, with oauth4webapi as the relying party: native
 * apps registered with the same loopback redirect (RFC 8252 §7.3) or the same private-use scheme
 * (§7.1) are different sectors (the sector is their client id, since no one owns those hosts), so
 * they see different `sub` values for one user in the ID token and at UserInfo; web clients on the
 * same https host are one sector and see the same `sub`, as the specification intends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { INSECURE } from '../support/oauth-client.ts';
import {
  authorizeCode,
  createRp,
  createTestUser,
  rpConfig,
  serverMetadata,
  startOidcServer,
  type OidcServer,
  type TestRp,
  type TestUser,
} from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';

let op: OidcServer;
let alice: TestUser;
before(async () => {
  op = await startOidcServer({ tokens: { pairwiseSalt: 'pairwise-flow-salt-0123456789' } });
  alice = await createTestUser(op.gh);
});
after(() => op?.close());

/** A pairwise public native app (application_type native, no secret, PKCE) with one redirect URI. */
const nativeApp = (redirect: string) => createRp(op.gh, 'public', { application_type: 'native', redirect_uris: [redirect], subject_type: 'pairwise' });

/** Signs alice in through `rp`, redeems the code and returns the sub of the ID token and of UserInfo (both validated by oauth4webapi). */
async function subjectsSeenBy(rp: TestRp): Promise<{ idToken: string; userinfo: string }> {
  const { req, callback } = await authorizeCode(await rpConfig(op, rp), rp, new UserAgent(op.url), alice, { scope: 'openid' });
  const as = (await serverMetadata(op.url)) as oauth.AuthorizationServer;
  const client: oauth.Client = { client_id: rp.client_id };
  const auth = rp.kind === 'public' ? oauth.None() : oauth.ClientSecretBasic(rp.client_secret);
  const params = oauth.validateAuthResponse(as, client, callback, req.state);
  const res = await oauth.authorizationCodeGrantRequest(as, client, auth, params, rp.redirect_uri, req.verifier, INSECURE);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: req.nonce, requireIdToken: true });
  const idToken = oauth.getValidatedIdTokenClaims(tokens)!.sub;
  // OIDC Core §5.3.2: the UserInfo sub MUST equal the ID token's (oauth4webapi checks it).
  const info = await oauth.processUserInfoResponse(as, client, idToken, await oauth.userInfoRequest(as, client, tokens.access_token, INSECURE));
  return { idToken, userinfo: info.sub };
}

describe('OIDC Core §8.1 pairwise sectors over HTTP', () => {
  for (const redirect of ['http://127.0.0.1/cb', 'com.example.app:/cb']) {
    test(`OIDC Core §8.1 two native apps registered with the same ${redirect} see different subs (ID token and UserInfo)`, async () => {
      const a = await subjectsSeenBy(await nativeApp(redirect));
      const b = await subjectsSeenBy(await nativeApp(redirect));
      assert.equal(a.userinfo, a.idToken);
      assert.equal(b.userinfo, b.idToken);
      assert.notEqual(a.idToken, b.idToken, 'a shared redirect host must not make two apps one sector');
      assert.notEqual(a.idToken, alice.id);
      assert.notEqual(b.idToken, alice.id);
    });
  }

  test('OIDC Core §8.1 two web clients on the same https host are one sector and see the same sub', async () => {
    const first = await createRp(op.gh, 'confidential', { subject_type: 'pairwise', redirect_uris: ['https://shop.example.test/cb'] });
    const second = await createRp(op.gh, 'confidential', { subject_type: 'pairwise', redirect_uris: ['https://shop.example.test/other/cb'] });
    const elsewhere = await createRp(op.gh, 'confidential', { subject_type: 'pairwise', redirect_uris: ['https://news.example.test/cb'] });
    const a = await subjectsSeenBy(first);
    const b = await subjectsSeenBy(second);
    assert.equal(a.idToken, b.idToken);
    assert.equal(a.userinfo, b.userinfo);
    assert.notEqual(a.idToken, alice.id);
    assert.notEqual((await subjectsSeenBy(elsewhere)).idToken, a.idToken, 'another host is another sector');
  });
});
