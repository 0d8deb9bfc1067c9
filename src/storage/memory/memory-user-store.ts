import { GatehouseError } from '../../core/errors.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { User } from '../../core/model/user.ts';
import type { UserPatch, UserStore } from '../../core/ports/user-store.ts';
import { pageSize } from '../list-options.ts';
import { tenantKey } from './memory-util.ts';

/**
 * Users in a Map keyed by (tenant, id), with a second index (tenant, lower-cased username).
 * Each method checks and writes without an `await` in between, so `create` is atomic.
 */
export class MemoryUserStore implements UserStore {
  readonly #rows = new Map<string, User>();
  readonly #byUsername = new Map<string, string>();

  async create(user: User): Promise<void> {
    const key = tenantKey(user.tenantId, user.id);
    const username = user.username.toLowerCase();
    const nameKey = tenantKey(user.tenantId, username);
    if (this.#rows.has(key)) throw new GatehouseError('GH_CONFLICT', `user ${user.id} already exists`);
    if (this.#byUsername.has(nameKey)) throw new GatehouseError('GH_CONFLICT', 'a user with this username already exists');
    this.#rows.set(key, structuredClone({ ...user, username }));
    this.#byUsername.set(nameKey, user.id);
  }

  async get(tenantId: TenantId, id: string): Promise<User | undefined> {
    const row = this.#rows.get(tenantKey(tenantId, id));
    return row && structuredClone(row);
  }

  async findByUsername(tenantId: TenantId, username: string): Promise<User | undefined> {
    const id = this.#byUsername.get(tenantKey(tenantId, username.toLowerCase()));
    return id === undefined ? undefined : this.get(tenantId, id);
  }

  async list(tenantId: TenantId, opts: { limit?: number; after?: string } = {}): Promise<User[]> {
    const limit = pageSize(opts.limit);
    const after = opts.after?.toLowerCase();
    return [...this.#rows.values()]
      .filter((u) => u.tenantId === tenantId && (after === undefined || u.username > after))
      .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
      .slice(0, limit)
      .map((u) => structuredClone(u));
  }

  async update(tenantId: TenantId, id: string, patch: UserPatch): Promise<User | undefined> {
    const key = tenantKey(tenantId, id);
    const row = this.#rows.get(key);
    if (!row) return undefined;
    // Only the given fields change; keys set to undefined are ignored, as in SQL.
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const next: User = { ...row, ...structuredClone(defined), tenantId: row.tenantId, id: row.id, username: row.username, createdAt: row.createdAt };
    this.#rows.set(key, next);
    return structuredClone(next);
  }
}
