import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ClientJwksCache } from '../client-auth/client-jwks.ts';
import { clientAllowed, createTrustedIssuerRegistry, subjectAllowed, type TrustedIssuer } from './trusted-issuer.ts';
import { ExternalJwtRefusal, ID_JAG_TYPE, verifyExternalJwt, type ExternalJwtCheck } from './verify-external-jwt.ts';

const AS = 'https://as.example';
const { privateKey, publicKey } = await generateKeyPair('ES256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };

const entry = (over: Partial<TrustedIssuer> = {}): TrustedIssuer => ({
  issuer: 'https://idp.example',
  jwks: { keys: [jwk] },
  algorithms: ['ES256'],
  uses: ['jwt-bearer'],
  subjects: ['*'],
  audiences: [],
  clients: '*',
  maxLifetime: 300,
  adminScopes: false,
  subjectMapping: { localUser: 'none', claim: 'sub' },
  copyClaims: {},
  ...over,
});

const registry = (e: TrustedIssuer) => createTrustedIssuerRegistry([e], new ClientJwksCache(300), 'default');

async function jwt(claims: Record<string, unknown> = {}, typ?: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: 'https://idp.example', sub: 'u1', aud: AS, iat: now, exp: now + 60, ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...(typ ? { typ } : {}) })
    .sign(privateKey);
}

const check = (token: string, over: Partial<ExternalJwtCheck> = {}): ExternalJwtCheck => ({
  jwt: token,
  purpose: 'jwt-bearer',
  clientId: 'c1',
  nowMs: Date.now(),
  clockSkew: 30,
  issuer: AS,
  tokenEndpoint: `${AS}/token`,
  ...over,
});

async function refusedWith(p: Promise<unknown>, why: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ExternalJwtRefusal && why.test(e.description));
}

test('trustedIssuers subjects: exact, `*` and a trailing-`*` prefix; nothing when empty', () => {
  assert.equal(subjectAllowed(['*'], 'anything'), true);
  assert.equal(subjectAllowed(['repo:acme/*'], 'repo:acme/web'), true);
  assert.equal(subjectAllowed(['repo:acme/*'], 'repo:acme-evil/web'), false);
  assert.equal(subjectAllowed(['alice'], 'alice'), true);
  assert.equal(subjectAllowed(['alice'], 'alice2'), false);
  assert.equal(subjectAllowed([], 'alice'), false);
  assert.equal(clientAllowed({ clients: [] }, 'c1'), false);
  assert.equal(clientAllowed({ clients: '*' }, 'c1'), true);
});

test('RFC 7523 §3 a valid assertion verifies; the use follows the typ', async () => {
  const v = await verifyExternalJwt(registry(entry()), check(await jwt()));
  assert.equal(v.use, 'jwt-bearer');
  assert.equal(v.payload.sub, 'u1');
  const jag = await verifyExternalJwt(registry(entry({ uses: ['id-jag'] })), check(await jwt({}, ID_JAG_TYPE)));
  assert.equal(jag.use, 'id-jag');
});

test('RFC 7523 §3 item 1 a JWT naming our own issuer is never external, even if listed', async () => {
  await refusedWith(verifyExternalJwt(registry(entry({ issuer: AS })), check(await jwt({ iss: AS }))), /not trusted/);
});

test('RFC 8693 §2.1 token exchange does not take an ID-JAG as a subject token', async () => {
  const r = registry(entry({ uses: ['token-exchange', 'id-jag'] }));
  await refusedWith(verifyExternalJwt(r, check(await jwt({}, ID_JAG_TYPE), { purpose: 'token-exchange' })), /typ/);
  await verifyExternalJwt(r, check(await jwt({}, 'at+jwt'), { purpose: 'token-exchange' }));
});

test('draft-ietf-oauth-identity-assertion-authz-grant §3 an ID-JAG aud is the issuer identifier, not the token endpoint', async () => {
  const r = registry(entry({ uses: ['id-jag', 'jwt-bearer'] }));
  await refusedWith(verifyExternalJwt(r, check(await jwt({ aud: `${AS}/token` }, ID_JAG_TYPE))), /aud/);
  await verifyExternalJwt(r, check(await jwt({ aud: `${AS}/token` })));
});

test('RFC 7523 §3 the entry maxLifetime bounds exp - iat', async () => {
  const now = Math.floor(Date.now() / 1000);
  await refusedWith(verifyExternalJwt(registry(entry({ maxLifetime: 60 })), check(await jwt({ iat: now, exp: now + 3600 }))), /exp-too-far/);
});
