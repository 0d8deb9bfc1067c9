import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeClient } from '../../../test/support/core-fixtures.ts';
import { OAuthError } from '../errors.ts';
import type { Client } from '../model/client.ts';
import { decideEndSession } from './decide-end-session.ts';
import { resolveEndSession, type ResolveEndSessionDeps } from './resolve-end-session.ts';
import type { EndSessionParams } from './types.ts';
import type { SessionRecord } from '../model/session.ts';

const rp = makeClient({ clientId: 'rp1', metadata: { post_logout_redirect_uris: ['https://rp.example/bye'] } });
const other = makeClient({ clientId: 'rp2', metadata: { post_logout_redirect_uris: ['https://other.example/bye'] } });
const disabled = makeClient({ clientId: 'off', disabled: true, metadata: { post_logout_redirect_uris: ['https://off.example/bye'] } });
const clients = new Map<string, Client>([
  [rp.clientId, rp],
  [other.clientId, other],
  [disabled.clientId, disabled],
]);

const HINTS: Record<string, { sub: string; aud: string[]; sid: string | null }> = {
  'good-hint': { sub: 'alice', aud: ['rp1'], sid: 'sid-a' },
  'no-sid-hint': { sub: 'alice', aud: ['rp1'], sid: null },
  'gone-client-hint': { sub: 'alice', aud: ['deleted'], sid: 'sid-a' },
};

const deps: ResolveEndSessionDeps = {
  tenantId: 'default',
  clients: { get: async (_t, id) => clients.get(id) },
  idTokenHints: { verify: (t) => HINTS[t] ?? null },
};

async function refused(params: EndSessionParams): Promise<OAuthError> {
  try {
    await resolveEndSession(deps, params);
  } catch (e) {
    assert.ok(e instanceof OAuthError);
    assert.equal(e.code, 'invalid_request');
    return e;
  }
  assert.fail(`accepted ${JSON.stringify(params)}`);
}

describe('RP-Initiated Logout §2 end-session request validation', () => {
  test('oidcc-rp-initiated-logout: a valid hint identifies the client and allows its registered URI', async () => {
    const req = await resolveEndSession(deps, { id_token_hint: 'good-hint', post_logout_redirect_uri: 'https://rp.example/bye', state: 's1' });
    assert.equal(req.client?.clientId, 'rp1');
    assert.equal(req.postLogoutRedirectUri, 'https://rp.example/bye');
    assert.equal(req.state, 's1');
    assert.deepEqual(req.hint, HINTS['good-hint']);
  });

  test('oidcc-rp-initiated-logout-bad-id-token-hint / -modified-id-token-hint: "the OP MUST validate that it was the issuer"', async () => {
    await refused({ id_token_hint: 'forged', post_logout_redirect_uri: 'https://rp.example/bye' });
  });

  test('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri: an unregistered URI is refused', async () => {
    await refused({ id_token_hint: 'good-hint', post_logout_redirect_uri: 'https://rp.example/bye/' });
    await refused({ id_token_hint: 'good-hint', post_logout_redirect_uri: 'https://evil.example/bye' });
    await refused({ id_token_hint: 'good-hint', post_logout_redirect_uri: 'https://other.example/bye' }); // another client's URI
  });

  test('§3: no redirect target without an identified client', async () => {
    const e = await refused({ post_logout_redirect_uri: 'https://rp.example/bye' });
    assert.match(e.description ?? '', /client_id/);
    await refused({ id_token_hint: 'gone-client-hint', post_logout_redirect_uri: 'https://rp.example/bye' });
  });

  test('"When both client_id and id_token_hint are present, the OP MUST verify that the Client Identifier matches"', async () => {
    await refused({ id_token_hint: 'good-hint', client_id: 'rp2', post_logout_redirect_uri: 'https://other.example/bye' });
    const ok = await resolveEndSession(deps, { id_token_hint: 'good-hint', client_id: 'rp1' });
    assert.equal(ok.client?.clientId, 'rp1');
  });

  test('oidcc-rp-initiated-logout-no-id-token-hint: client_id with its registered URI is accepted', async () => {
    const req = await resolveEndSession(deps, { client_id: 'rp2', post_logout_redirect_uri: 'https://other.example/bye', state: 'x' });
    assert.equal(req.client?.clientId, 'rp2');
    assert.equal(req.hint, null);
    assert.equal(req.postLogoutRedirectUri, 'https://other.example/bye');
  });

  test('unknown or disabled client_id is refused', async () => {
    await refused({ client_id: 'nobody' });
    await refused({ client_id: 'off', post_logout_redirect_uri: 'https://off.example/bye' });
  });

  test('oidcc-rp-initiated-logout-no-params and -only-state: accepted, no redirect', async () => {
    const none = await resolveEndSession(deps, {});
    assert.equal(none.postLogoutRedirectUri, null);
    const onlyState = await resolveEndSession(deps, { state: 'abc' });
    assert.equal(onlyState.postLogoutRedirectUri, null);
    assert.equal(onlyState.client, null);
  });

  test('a hint whose client is gone stays valid but identifies no client', async () => {
    const req = await resolveEndSession(deps, { id_token_hint: 'gone-client-hint' });
    assert.equal(req.client, null);
    assert.equal(req.hint?.sub, 'alice');
  });

  test('oversized state is refused', async () => {
    await refused({ state: 'x'.repeat(5000) });
  });

  test('ui_locales is split on spaces', async () => {
    const req = await resolveEndSession(deps, { ui_locales: 'fr-CA  en' });
    assert.deepEqual(req.uiLocales, ['fr-CA', 'en']);
  });
});

const session = (accounts: { userId: string; sid: string }[]): SessionRecord => ({
  tenantId: 'default',
  hash: 'h',
  accounts: accounts.map((a) => ({ ...a, authTime: 1, amr: ['pwd'], acr: null, clientIds: ['rp1'] })),
  currentUserId: accounts[0]?.userId ?? null,
  createdAt: 1,
  lastSeenAt: 1,
  expiresAt: 2,
});
// Pairwise-style subjects: the hint's sub is compared with what the client sees.
const decideDeps = { subjectFor: (client: Client, userId: string) => (userId === 'u-alice' ? 'alice' : `${client.clientId}:${userId}`) };

describe('RP-Initiated Logout §2 whether to ask the End-User', () => {
  test('a valid hint naming the session user signs out without asking', async () => {
    const req = await resolveEndSession(deps, { id_token_hint: 'good-hint' });
    assert.deepEqual(
      decideEndSession(
        decideDeps,
        req,
        session([
          { userId: 'u-bob', sid: 's-b' },
          { userId: 'u-alice', sid: 'sid-a' },
        ]),
      ),
      { kind: 'logout' },
    );
    const noSid = await resolveEndSession(deps, { id_token_hint: 'no-sid-hint' });
    assert.deepEqual(decideEndSession(decideDeps, noSid, session([{ userId: 'u-alice', sid: 'other' }])), { kind: 'logout' });
  });

  test('"the OP MUST ask the End-User this question if an id_token_hint was not provided"', async () => {
    const req = await resolveEndSession(deps, { client_id: 'rp1' });
    assert.deepEqual(decideEndSession(decideDeps, req, session([{ userId: 'u-alice', sid: 'sid-a' }])), { kind: 'confirm', reason: 'no_hint' });
  });

  test('"… or if the supplied ID Token does not belong to the current OP session"', async () => {
    const req = await resolveEndSession(deps, { id_token_hint: 'good-hint' });
    assert.equal(decideEndSession(decideDeps, req, session([{ userId: 'u-bob', sid: 'sid-a' }])).kind, 'confirm');
    assert.deepEqual(decideEndSession(decideDeps, req, session([{ userId: 'u-alice', sid: 'newer' }])), { kind: 'confirm', reason: 'hint_sid_mismatch' });
    const gone = await resolveEndSession(deps, { id_token_hint: 'gone-client-hint' });
    assert.deepEqual(decideEndSession(decideDeps, gone, session([{ userId: 'u-alice', sid: 'sid-a' }])), { kind: 'confirm', reason: 'hint_client_unknown' });
  });

  test('§4: no session is not an error', async () => {
    const req = await resolveEndSession(deps, { id_token_hint: 'good-hint' });
    assert.deepEqual(decideEndSession(decideDeps, req, undefined), { kind: 'no_session' });
    assert.deepEqual(decideEndSession(decideDeps, req, session([])), { kind: 'no_session' });
  });
});
