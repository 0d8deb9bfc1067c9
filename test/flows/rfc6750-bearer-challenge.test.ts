/**
 * RFC 6750 §3 over real HTTP: whatever a caller puts in a UserInfo request (parameter names with
 * quotes, backslashes, CR/LF, non-ASCII), the `WWW-Authenticate` challenge that comes back is one
 * well-formed Bearer challenge whose values hold only %x20-21 / %x23-5B / %x5D-7E, and nothing the
 * caller sent becomes a header of its own. The access token comes from a real code flow
 * (openid-client); the hostile requests are raw, as no client library would send them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codeFlow, createRp, createTestUser, rpConfig, startOidcServer, type OidcServer } from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';
import { parseChallenge } from '../support/www-authenticate.ts';

let op: OidcServer;
let accessToken: string;
before(async () => {
  op = await startOidcServer();
  const user = await createTestUser(op.gh);
  const rp = await createRp(op.gh, 'public');
  accessToken = (await codeFlow(op, await rpConfig(op, rp), rp, new UserAgent(op.url), user)).tokens.access_token;
});
after(() => op?.close());

/** A parameter name an attacker picks: ends the quoted string, starts a header line, adds non-ASCII. */
const HOSTILE_NAME = 'x"\\\r\nSet-Cookie: injected=1\r\n\r\n<b>é€😀</b>"';
const hostileTwice = (value = '1') => `${encodeURIComponent(HOSTILE_NAME)}=${value}&${encodeURIComponent(HOSTILE_NAME)}=${value}`;

/** The answer must be an RFC 6750 error with one clean challenge, and no injected header. */
async function assertCleanChallenge(res: Response, status: number, error: string): Promise<void> {
  const body = (await res.json()) as { error?: string };
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.error, error);
  const header = res.headers.get('www-authenticate');
  assert.ok(header, 'a WWW-Authenticate challenge');
  const { scheme, params } = parseChallenge(header);
  assert.equal(scheme, 'Bearer');
  assert.equal(params['error'], error);
  assert.deepEqual(
    Object.keys(params).filter((k) => !['realm', 'error', 'error_description', 'scope'].includes(k)),
    [],
  );
  assert.equal(res.headers.get('set-cookie'), null, 'no header injected');
  assert.ok(!(params['error_description'] ?? '').includes('Set-Cookie'), 'the hostile name is not echoed');
}

describe('RFC 6750 §3 the UserInfo challenge holds only the allowed characters', () => {
  test('RFC 6750 §3 POST with the token in the body and a hostile repeated parameter name', async () => {
    const res = await fetch(`${op.url}/userinfo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${encodeURIComponent(accessToken)}&${hostileTwice()}`,
    });
    await assertCleanChallenge(res, 400, 'invalid_request');
  });

  test('RFC 6750 §3 POST with a Bearer header and a hostile repeated parameter name in the body', async () => {
    const res = await fetch(`${op.url}/userinfo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: hostileTwice(),
    });
    await assertCleanChallenge(res, 400, 'invalid_request');
  });

  test('RFC 6750 §3 GET with a Bearer header and hostile query parameter names beside a query access_token', async () => {
    const res = await fetch(`${op.url}/userinfo?access_token=${encodeURIComponent(accessToken)}&${hostileTwice()}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    await assertCleanChallenge(res, 400, 'invalid_request');
  });

  test('RFC 6750 §3.1 GET with a hostile token value: invalid_token with a clean challenge', async () => {
    const res = await fetch(`${op.url}/userinfo`, { headers: { authorization: `Bearer ${accessToken}x` } });
    await assertCleanChallenge(res, 401, 'invalid_token');
  });

  test('RFC 6750 §2.1 GET with the Bearer header and hostile query names is still served (the query is ignored)', async () => {
    const res = await fetch(`${op.url}/userinfo?${hostileTwice()}`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('www-authenticate'), null);
  });
});
