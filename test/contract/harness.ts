// Shared pieces of the storage contract suites (S14): the harness each backend provides,
// a settable clock, and record fixtures.
import { randomUUID } from 'node:crypto';
import { randomToken, sha256 } from '../../src/core/crypto.ts';
import type { Client } from '../../src/core/model/client.ts';
import type { SigningKeyRecord } from '../../src/core/model/key.ts';
import type { TokenRecord } from '../../src/core/model/token.ts';
import type { Clock } from '../../src/core/ports/clock.ts';
import type { Storage } from '../../src/core/ports/storage.ts';

export interface TestClock extends Clock {
  /** Moves time forward by `seconds`. */
  advance(seconds: number): void;
  /** Epoch seconds now. */
  seconds(): number;
}

export function testClock(startMs = 1_750_000_000_000): TestClock {
  let now = startMs;
  return {
    now: () => now,
    advance: (s) => {
      now += s * 1000;
    },
    seconds: () => Math.floor(now / 1000),
  };
}

/** An empty database of the backend under test, for migration tests. */
export interface FreshDatabase {
  /** Opens a new, unmigrated store on it (call twice for two instances). */
  open(): Promise<Storage>;
  drop(): Promise<void>;
}

export interface StorageHarness {
  /** The migrated store under test. */
  readonly storage: Storage;
  readonly clock: TestClock;
  /** Another instance on the same database (memory: the same object), for cross-instance races. */
  readonly peer: Storage;
  freshDatabase(): Promise<FreshDatabase>;
}

/** The harness is built in `before`, so suites receive a getter. */
export type GetHarness = () => StorageHarness;

/** A tenant no other test uses: the database is shared by the tests of one file. */
export function newTenant(): string {
  return `t-${randomUUID()}`;
}

export function clientFixture(tenantId: string, clientId: string, over: Partial<Client> = {}): Client {
  return {
    tenantId,
    clientId,
    clientName: `Client ${clientId} — ünïcødé`,
    secretHash: sha256(randomToken()),
    secretEncrypted: null,
    secretExpiresAt: null,
    tokenEndpointAuthMethod: 'client_secret_basic',
    tokenEndpointAuthSigningAlg: null,
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    redirectUris: ['https://app.example/cb', 'http://127.0.0.1/cb'],
    scopes: ['openid', 'profile'],
    jwks: null,
    jwksUri: null,
    accessTokenFormat: null,
    metadata: {},
    registrationAccessTokenHash: null,
    disabled: false,
    createdAt: 1_750_000_000,
    updatedAt: 1_750_000_000,
    ...over,
  };
}

export function tokenFixture(tenantId: string, over: Partial<TokenRecord> = {}): TokenRecord {
  return {
    tenantId,
    hash: sha256(randomToken()),
    kind: 'access_token',
    jti: randomUUID(),
    clientId: 'client-1',
    subject: 'user-1',
    userId: 'user-1',
    scope: 'openid profile',
    audience: ['https://api.example'],
    grantId: randomUUID(),
    parentHash: null,
    issuedAt: 1_750_000_000,
    expiresAt: 1_750_003_600,
    cnf: null,
    claims: {},
    revokedAt: null,
    consumedAt: null,
    ...over,
  };
}

export function keyFixture(tenantId: string, over: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  const kid = over.kid ?? randomUUID();
  return {
    tenantId,
    kid,
    alg: 'ES256',
    status: 'next',
    publicJwk: { kty: 'EC', crv: 'P-256', x: randomToken(32), y: randomToken(32), kid, alg: 'ES256', use: 'sig' },
    privateJwkEncrypted: `v1.${randomToken(12)}.${randomToken(64)}.${randomToken(16)}`,
    createdAt: 1_750_000_000,
    activatedAt: null,
    retiresAt: null,
    ...over,
  };
}

/** Resolves once every promise settled; rethrows the first rejection, if any. */
export async function all<T extends unknown[]>(ps: [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const settled = await Promise.allSettled(ps);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as T;
}
