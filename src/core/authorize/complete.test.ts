import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { authorizeWorld, NO_PROGRESS, webClient, WEB_REDIRECT, type AuthorizeWorld } from '../../../test/support/authorize-fixtures.ts';
import { ISSUER } from '../../../test/support/core-fixtures.ts';
import { KEK } from '../../../test/support/oidc-fixtures.ts';
import { opaqueTokenKey, sha256 } from '../crypto.ts';
import { halfHash } from '../id-token/hash-claims.ts';
import type { SessionRecord } from '../model/session.ts';
import type { SessionStore } from '../ports/session-store.ts';
import { createAuthorizationCodeGrant } from '../token/grants/authorization-code.ts';
import { createUserSubjects } from '../tokens/user-subject.ts';
import { AuthorizationError } from './authorization-error.ts';
import type { AuthorizationRequest, AuthorizationResponse, Decision } from './types.ts';

let w: AuthorizeWorld;
before(async () => {
  w = await authorizeWorld({ authorization: { implicit: true } });
  await w.addClient(webClient({ metadata: { first_party: true } }));
  await w.addUser({ id: 'u-1' });
  await w.addUser({ id: 'u-gone', username: 'gone' });
});

const base = { client_id: 'web', response_type: 'code', redirect_uri: WEB_REDIRECT, scope: 'openid email', state: 'st-1', nonce: 'n-1' };
const now = () => Math.floor(w.clock.now() / 1000);

async function run(
  params: Record<string, string>,
  opts: { browserState?: string | null; consented?: boolean; userId?: string } = {},
): Promise<{ req: AuthorizationRequest; res: AuthorizationResponse; session: SessionRecord; decision: Extract<Decision, { kind: 'complete' }> }> {
  const req = await w.service.resolve({ ...base, ...params });
  const session = await w.signIn([opts.userId ?? 'u-1']);
  const decision = await w.service.decide(req, session, { ...NO_PROGRESS, consentedSid: opts.consented ? session.accounts[0]!.sid : null });
  assert.equal(decision.kind, 'complete');
  if (decision.kind !== 'complete') throw new Error('unreachable');
  const res = await w.service.complete(req, decision, { browserState: opts.browserState === undefined ? 'browser-state-1' : opts.browserState });
  return { req, res, session, decision };
}
async function verifyIdToken(jwt: string) {
  return (await jwtVerify(jwt, createLocalJWKSet(w.keys.jwks() as never), { issuer: ISSUER, audience: 'web', currentDate: new Date(w.clock.now()) })).payload;
}

describe('RFC 6749 §4.1.2 authorization response', () => {
  test('RFC 6749 §4.1.2 code, state and RFC 9207 iss; the code is stored as its SHA-256 only', async () => {
    const { res, session } = await run({
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      resource: 'https://api.example/',
    });
    assert.equal(res.redirectUri, WEB_REDIRECT);
    assert.equal(res.responseMode, 'query');
    assert.deepEqual(Object.keys(res.params).sort(), ['code', 'iss', 'session_state', 'state']);
    assert.equal(res.params['state'], 'st-1');
    assert.equal(res.params['iss'], ISSUER);
    const code = res.params['code']!;
    assert.match(code, /^[A-Za-z0-9_-]{43}$/, '256 random bits, base64url');
    const taken = await w.storage.codes.take(w.tenantId, sha256(code), now());
    assert.equal(taken.result, 'consumed');
    if (taken.result !== 'consumed') return;
    const r = taken.record;
    assert.equal(r.hash, sha256(code));
    assert.equal(r.clientId, 'web');
    assert.equal(r.redirectUri, WEB_REDIRECT);
    assert.equal(r.scope, 'openid email');
    assert.equal(r.nonce, 'n-1');
    assert.equal(r.codeChallenge, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    assert.equal(r.codeChallengeMethod, 'S256');
    assert.deepEqual(r.resources, ['https://api.example/']);
    assert.equal(r.auth.userId, 'u-1');
    assert.equal(r.auth.sid, session.accounts[0]!.sid);
    assert.equal(r.expiresAt, now() + w.config.authorization.codeTtl);
    assert.equal(r.consumedAt !== null, true);
    assert.match(r.grantId, /^[0-9a-f]{12}[A-Za-z0-9_-]{22}$/, 'time prefix, then 128 random bits');
  });

  test('OIDC Session Management §3 session_state = hash(client_id origin browser_state salt).salt', async () => {
    const { res } = await run({}, { browserState: 'bs-42' });
    const [hash, salt] = res.params['session_state']!.split('.');
    const expected = createHash('sha256').update(`web https://rp.example bs-42 ${salt}`).digest('base64url');
    assert.equal(hash, expected);
    assert.equal((await run({}, { browserState: null })).res.params['session_state'], undefined, 'no browser state, no session_state');
    assert.equal((await run({ scope: 'email' }, { browserState: 'bs' })).res.params['session_state'], undefined, 'only OpenID responses carry it');
  });

  test('OIDC Core §3.3.2.5 code id_token: c_hash, s_hash and nonce in the ID token, fragment by default', async () => {
    const { res } = await run({ response_type: 'code id_token' });
    assert.equal(res.responseMode, 'fragment');
    const claims = await verifyIdToken(res.params['id_token']!);
    assert.equal(claims['c_hash'], halfHash(res.params['code']!, 'ES256'));
    assert.equal(claims['s_hash'], halfHash('st-1', 'ES256'));
    assert.equal(claims['nonce'], 'n-1');
    assert.equal(claims['at_hash'], undefined);
    assert.equal(claims['email'], undefined, 'OIDC Core §5.4: scope claims come from UserInfo when an access token is issued');
    assert.equal(res.params['access_token'], undefined);
  });

  test('OIDC Core §3.3.2.11 code id_token token: at_hash and c_hash; the access token shares the code grant', async () => {
    const { res } = await run({ response_type: 'code id_token token' });
    assert.equal(res.params['token_type'], 'Bearer');
    assert.equal(res.params['expires_in'], '300');
    const at = res.params['access_token']!;
    const claims = await verifyIdToken(res.params['id_token']!);
    assert.equal(claims['at_hash'], halfHash(at, 'ES256'));
    assert.equal(claims['c_hash'], halfHash(res.params['code']!, 'ES256'));
    const taken = await w.storage.codes.take(w.tenantId, sha256(res.params['code']!), now());
    assert.equal(taken.result, 'consumed');
    const atClaims = decodeJwt(at);
    assert.equal(
      taken.result === 'consumed' && atClaims['grant_id'],
      taken.result === 'consumed' ? taken.record.grantId : null,
      'a reused code revokes this token too',
    );
    assert.equal(atClaims['sub'], 'u-1');
    assert.equal(atClaims['scope'], 'openid email');
    assert.equal(res.params['scope'], undefined, 'RFC 6749 §4.2.2: scope omitted when identical to the request');
  });

  test('OIDC Core §3.2.2.5 id_token (implicit enabled): no code, scope claims in the ID token', async () => {
    const { res } = await run({ response_type: 'id_token' });
    assert.equal(res.params['code'], undefined);
    assert.equal(res.params['access_token'], undefined);
    const claims = await verifyIdToken(res.params['id_token']!);
    assert.equal(claims['email'], 'jane@example.com');
    assert.equal(claims['c_hash'], undefined);
  });

  test('form_post keeps the response mode for the HTTP layer to render', async () => {
    assert.equal((await run({ response_mode: 'form_post' })).res.responseMode, 'form_post');
  });

  test('consent given on the page is remembered (merged) and consent.granted is published', async () => {
    await w.storage.consents.put({ tenantId: w.tenantId, userId: 'u-1', clientId: 'web', scopes: ['profile'], claims: [], createdAt: 1, updatedAt: 1 });
    await run({ claims: '{"userinfo":{"name":null}}' }, { consented: true });
    const c = await w.storage.consents.get(w.tenantId, 'u-1', 'web');
    assert.deepEqual([...(c?.scopes ?? [])].sort(), ['email', 'openid', 'profile']);
    assert.deepEqual(c?.claims, ['name']);
    assert.equal(c?.createdAt, 1, 'the first consent time is kept');
    const ev = w.events.of('consent.granted').at(-1);
    assert.deepEqual(ev, { tenantId: w.tenantId, clientId: 'web', userId: 'u-1', scopes: ['openid', 'email'], claims: ['name'] });
  });

  test('the client is added to the session account (so logout can find it) and authorization.granted is published', async () => {
    const { session } = await run({});
    const after = await w.storage.sessions.get(w.tenantId, session.hash);
    assert.deepEqual(after?.accounts[0]?.clientIds, ['web']);
    assert.deepEqual(w.events.of('authorization.granted').at(-1), {
      tenantId: w.tenantId,
      clientId: 'web',
      userId: 'u-1',
      responseType: 'code',
      scope: 'openid email',
    });
  });

  test('OIDC Back-/Front-Channel Logout: three clients completing at once for one login are all recorded (one session-store call each)', async () => {
    const ids = ['web-a', 'web-b', 'web-c'];
    for (const clientId of ids) await w.addClient(webClient({ clientId, metadata: { first_party: true } }));
    const session = await w.signIn(['u-1']);
    const calls: string[] = [];
    const store = w.storage.sessions;
    const sessions: SessionStore = {
      create: (r) => {
        calls.push('create');
        return store.create(r);
      },
      get: (t, h) => {
        calls.push('get');
        return store.get(t, h);
      },
      findBySid: (t, sid) => {
        calls.push('findBySid');
        return store.findBySid(t, sid);
      },
      addClient: (t, sid, c) => {
        calls.push('addClient');
        return store.addClient(t, sid, c);
      },
      update: (t, h, p) => {
        calls.push('update');
        return store.update(t, h, p);
      },
      delete: (t, h) => {
        calls.push('delete');
        return store.delete(t, h);
      },
      purgeExpired: (b) => {
        calls.push('purgeExpired');
        return store.purgeExpired(b);
      },
    };
    const service = w.with({ deps: { sessions } });
    const pending = await Promise.all(
      ids.map(async (clientId) => {
        const req = await service.resolve({ ...base, client_id: clientId });
        const decision = await service.decide(req, session, NO_PROGRESS);
        assert.equal(decision.kind, 'complete');
        return { req, decision: decision as Extract<Decision, { kind: 'complete' }> };
      }),
    );
    await Promise.all(pending.map(({ req, decision }) => service.complete(req, decision, { browserState: null })));
    const after = await w.storage.sessions.get(w.tenantId, session.hash);
    assert.deepEqual([...after!.accounts[0]!.clientIds].sort(), ids, 'no addition lost to another');
    assert.deepEqual(calls, ['addClient', 'addClient', 'addClient']);
  });

  test('OIDC Back-Channel Logout: a client the session already lists for the login is not written again; a new client still is', async () => {
    for (const clientId of ['web-r', 'web-s']) await w.addClient(webClient({ clientId, metadata: { first_party: true } }));
    const calls: string[] = [];
    const store = w.storage.sessions;
    const sessions: SessionStore = {
      ...store,
      get: (t, h) => store.get(t, h),
      findBySid: (t, sid) => store.findBySid(t, sid),
      create: (r) => store.create(r),
      update: (t, h, p) => store.update(t, h, p),
      delete: (t, h) => store.delete(t, h),
      purgeExpired: (b) => store.purgeExpired(b),
      addClient: (t, sid, c) => {
        calls.push(c);
        return store.addClient(t, sid, c);
      },
    };
    const service = w.with({ deps: { sessions } });
    const session = await w.signIn(['u-1']);
    const completeFor = async (clientId: string, inHand: SessionRecord) => {
      const req = await service.resolve({ ...base, client_id: clientId });
      const decision = await service.decide(req, inHand, NO_PROGRESS);
      if (decision.kind !== 'complete') throw new Error('expected complete');
      await service.complete(req, decision, { browserState: null, session: inHand });
    };
    await completeFor('web-r', session);
    const listed = (await store.get(w.tenantId, session.hash))!;
    assert.deepEqual(listed.accounts[0]!.clientIds, ['web-r']);
    // The browser comes back with the session that now lists web-r: nothing to write.
    await completeFor('web-r', listed);
    // Another client of the same login must still be recorded, or its logout would be missed.
    await completeFor('web-s', listed);
    assert.deepEqual(calls, ['web-r', 'web-s']);
    assert.deepEqual([...(await store.get(w.tenantId, session.hash))!.accounts[0]!.clientIds].sort(), ['web-r', 'web-s']);
  });

  test('a user disabled before completion: access_denied to the client, no code stored', async () => {
    const req = await w.service.resolve({ ...base, response_type: 'code id_token' });
    const session = await w.signIn(['u-gone']);
    const decision = await w.service.decide(req, session, NO_PROGRESS);
    assert.equal(decision.kind, 'complete');
    await w.storage.users.update(w.tenantId, 'u-gone', { disabled: true });
    let inserted = 0;
    const service = w.with({
      deps: {
        codes: {
          ...w.storage.codes,
          insert: async () => {
            inserted++;
          },
        },
      },
    });
    await assert.rejects(service.complete(req, decision as Extract<Decision, { kind: 'complete' }>, { browserState: null }), (e: unknown) => {
      assert.ok(e instanceof AuthorizationError);
      assert.equal(e.error.code, 'access_denied');
      assert.equal(e.redirect?.redirectUri, WEB_REDIRECT);
      return true;
    });
    assert.equal(inserted, 0, 'nothing half-written');
  });
});

describe('one issuance path for user access tokens', () => {
  /** The code of `code token` redeemed at the token endpoint by the real grant, over the same world. */
  async function bothTokens(clientId: string) {
    const subjects = createUserSubjects(KEK, w.deps.idTokens.subjectFor);
    const service = w.with({ deps: { subjects } });
    const req = await service.resolve({ ...base, client_id: clientId, response_type: 'code id_token token', claims: '{"userinfo":{"name":null}}' });
    const session = await w.signIn(['u-1']);
    const decision = await service.decide(req, session, NO_PROGRESS);
    if (decision.kind !== 'complete') throw new Error('expected a complete decision');
    const front = (await service.complete(req, decision, { browserState: null })).params;
    const grant = createAuthorizationCodeGrant({
      ...w.deps,
      subjects,
      idTokens: w.deps.idTokens,
      codes: w.storage.codes,
      tokens: w.storage.tokens,
      denylist: w.storage.denylist,
      config: { issuer: ISSUER, tokens: { accessTokenTtl: 300, refreshTokenTtl: 3600, refreshTokenAbsoluteTtl: 86_400 }, resources: [] },
    });
    const client = (await w.storage.clients.get(w.tenantId, clientId))!;
    const back = await grant.handle({ client, authMethod: 'client_secret_basic', params: { code: front['code']!, redirect_uri: WEB_REDIRECT }, resources: [] });
    return { front: front['access_token']!, back: back.access_token };
  }
  const perToken = ['iat', 'exp', 'jti'];
  const withoutPerToken = (claims: Readonly<Record<string, unknown>>) => Object.fromEntries(Object.entries(claims).filter(([k]) => !perToken.includes(k)));

  test('RFC 9068 §2.2 the front channel (code id_token token) and the token endpoint give the same grant the same JWT access-token claims', async () => {
    const issued = w.events.of('token.issued').length;
    const { front, back } = await bothTokens('web');
    const f = decodeJwt(front);
    const b = decodeJwt(back);
    assert.deepEqual(withoutPerToken(f), withoutPerToken(b));
    assert.equal(f.grant_id, b.grant_id, 'one grant');
    assert.deepEqual(f.userinfo_claims, { name: null });
    assert.equal(f.auth_time, b.auth_time);
    const events = w.events
      .of('token.issued')
      .slice(issued)
      .filter((e) => e.tokenType === 'access_token');
    assert.deepEqual(
      events.map((e) => [e.grantType, e.format, e.subject, e.clientId]),
      [
        ['implicit', 'jwt', 'u-1', 'web'],
        ['authorization_code', 'jwt', 'u-1', 'web'],
      ],
    );
  });

  test('RFC 7662 §2.2 an opaque-format client gets the same stored claims, subject, scope and audience from both paths', async () => {
    await w.addClient(webClient({ clientId: 'web-opaque', accessTokenFormat: 'opaque', metadata: { first_party: true } }));
    const { front, back } = await bothTokens('web-opaque');
    const stored = async (token: string) => {
      const r = (await w.storage.tokens.find(w.tenantId, opaqueTokenKey(token)))!;
      return {
        kind: r.kind,
        clientId: r.clientId,
        subject: r.subject,
        scope: r.scope,
        audience: r.audience,
        grantId: r.grantId,
        cnf: r.cnf,
        claims: r.claims,
        ttl: r.expiresAt - r.issuedAt,
      };
    };
    assert.deepEqual(await stored(front), await stored(back));
  });
});
