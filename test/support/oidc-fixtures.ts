/**
 * Fakes for OIDC core unit tests (ID tokens, code and refresh grants, UserInfo): a user, a user
 * store and a code store with the ports' semantics (atomic `take`), so the tests do not depend on
 * a storage adapter.
 */
import type { AuthenticationContext, AuthorizationCodeRecord } from '../../src/core/model/authorization-code.ts';
import { DEFAULT_TENANT } from '../../src/core/model/tenant.ts';
import type { User } from '../../src/core/model/user.ts';
import type { CodeStore, TakeResult } from '../../src/core/ports/code-store.ts';
import type { UserStore } from '../../src/core/ports/user-store.ts';
import { T0 } from './core-fixtures.ts';

export function makeUser(overrides: Partial<User> = {}): User {
  return {
    tenantId: DEFAULT_TENANT,
    id: 'u-1',
    username: 'jane',
    passwordHash: null,
    roles: ['user'],
    claims: { name: 'Jane Doe', given_name: 'Jane', email: 'jane@example.com', email_verified: true, phone_number: '+1 555 0100' },
    disabled: false,
    createdAt: T0 / 1000,
    updatedAt: T0 / 1000,
    ...overrides,
  };
}

export function makeAuth(overrides: Partial<AuthenticationContext> = {}): AuthenticationContext {
  return { userId: 'u-1', sid: 'sid-1', authTime: T0 / 1000 - 60, amr: ['pwd'], acr: 'urn:gatehouse:pwd', ...overrides };
}

/** A UserStore over a Map (only what the grants and UserInfo read). */
export function fakeUserStore(...users: User[]): UserStore & { put(u: User): void } {
  const map = new Map(users.map((u) => [u.id, u]));
  return {
    put: (u) => { map.set(u.id, u); },
    async create(u) { map.set(u.id, u); },
    async get(_t, id) { return map.get(id); },
    async findByUsername(_t, name) { return [...map.values()].find((u) => u.username === name); },
    async list() { return [...map.values()]; },
    async update(_t, id, patch) {
      const u = map.get(id);
      if (!u) return undefined;
      const next = { ...u, ...patch };
      map.set(id, next);
      return next;
    },
  };
}

/** A CodeStore over a Map: `take` is a compare-and-set on consumedAt, as the port requires. */
export function fakeCodeStore(): CodeStore {
  const map = new Map<string, AuthorizationCodeRecord>();
  return {
    async insert(r) {
      if (map.has(r.hash)) throw new Error('duplicate');
      map.set(r.hash, r);
    },
    async take(_t, hash, at): Promise<TakeResult<AuthorizationCodeRecord>> {
      const r = map.get(hash);
      if (!r) return { result: 'not-found' };
      if (r.consumedAt !== null) return { result: 'already-consumed', record: r };
      const next = { ...r, consumedAt: at };
      map.set(hash, next);
      return { result: 'consumed', record: next };
    },
    async purgeExpired() { return 0; },
  };
}
