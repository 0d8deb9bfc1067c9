// Record fixtures for the end-user storage contract suites (users, sessions, consents, codes,
// device codes, pushed requests).
import { randomUUID } from 'node:crypto';
import { randomToken, sha256 } from '../../src/core/crypto.ts';
import type { AuthenticationContext, AuthorizationCodeRecord } from '../../src/core/model/authorization-code.ts';
import type { ConsentRecord } from '../../src/core/model/consent.ts';
import type { DeviceCodeRecord } from '../../src/core/model/device-code.ts';
import type { ParRecord } from '../../src/core/model/par-request.ts';
import type { SessionAccount, SessionRecord } from '../../src/core/model/session.ts';
import type { User } from '../../src/core/model/user.ts';

export const T0 = 1_750_000_000;

export function userFixture(tenantId: string, username: string, over: Partial<User> = {}): User {
  return {
    tenantId,
    id: randomUUID(),
    username,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo',
    roles: ['user'],
    attributes: {},
    groups: [],
    claims: {
      name: 'Zoë Ünïcødé',
      email: `${username}@example.com`,
      email_verified: true,
      address: { street_address: '1 Main St', country: 'NL' },
      updated_at: T0,
    },
    disabled: false,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

export function accountFixture(over: Partial<SessionAccount> = {}): SessionAccount {
  return { userId: randomUUID(), sid: randomToken(16), authTime: T0, amr: ['pwd'], acr: null, clientIds: [], ...over };
}

export function sessionFixture(tenantId: string, over: Partial<SessionRecord> = {}): SessionRecord {
  const account = accountFixture({ clientIds: ['client-1'], acr: 'urn:gatehouse:pwd' });
  return {
    tenantId,
    hash: sha256(randomToken()),
    accounts: [account],
    currentUserId: account.userId,
    createdAt: T0,
    lastSeenAt: T0,
    expiresAt: T0 + 86_400,
    ...over,
  };
}

export function consentFixture(tenantId: string, userId: string, clientId: string, over: Partial<ConsentRecord> = {}): ConsentRecord {
  return { tenantId, userId, clientId, scopes: ['openid', 'profile'], claims: [], createdAt: T0, updatedAt: T0, ...over };
}

export function authFixture(over: Partial<AuthenticationContext> = {}): AuthenticationContext {
  return { userId: randomUUID(), sid: randomToken(16), authTime: T0 - 30, amr: ['pwd', 'otp'], acr: null, ...over };
}

export function codeFixture(tenantId: string, over: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord {
  return {
    tenantId,
    hash: sha256(randomToken()),
    clientId: 'client-1',
    redirectUri: 'https://app.example/cb?x=1',
    scope: 'openid profile',
    resources: ['https://api.example'],
    claims: { id_token: { email: { essential: true }, acr: { values: ['urn:a', 'urn:b'] } }, userinfo: { name: null } },
    nonce: 'n-0S6_WzA2Mj',
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    codeChallengeMethod: 'S256',
    auth: authFixture(),
    grantId: randomUUID(),
    cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' },
    issuedAt: T0,
    expiresAt: T0 + 60,
    consumedAt: null,
    ...over,
  };
}

export function deviceFixture(tenantId: string, over: Partial<DeviceCodeRecord> = {}): DeviceCodeRecord {
  return {
    tenantId,
    hash: sha256(randomToken()),
    userCodeHash: sha256(randomToken(8)),
    clientId: 'tv-client',
    scope: 'openid offline_access',
    resources: [],
    status: 'pending',
    auth: null,
    grantedScope: null,
    grantId: randomUUID(),
    interval: 5,
    lastPolledAt: null,
    issuedAt: T0,
    expiresAt: T0 + 600,
    ...over,
  };
}

export function parFixture(tenantId: string, over: Partial<ParRecord> = {}): ParRecord {
  return {
    tenantId,
    hash: sha256(randomToken()),
    clientId: 'client-1',
    params: { response_type: 'code', client_id: 'client-1', redirect_uri: 'https://app.example/cb', scope: 'openid', state: 'ünï & =' },
    expiresAt: T0 + 60,
    consumedAt: null,
    ...over,
  };
}
