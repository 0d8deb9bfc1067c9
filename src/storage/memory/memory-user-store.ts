import { GatehouseError } from '../../core/errors.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { User } from '../../core/model/user.ts';
import type { ListQuery, Page } from '../../core/ports/list.ts';
import type { UserPatch, UserSort, UserStore } from '../../core/ports/user-store.ts';
import { clampLimit } from '../list-options.ts';
import { SortedIndex, takePage } from './memory-sorted-index.ts';
import { tenantKey } from './memory-util.ts';

/**
 * Users in a Map keyed by (tenant, id), with a second index (tenant, lower-cased username).
 * and sorted indexes per tenant for `page`. Each method checks and writes without an `await` in
 * between, so `create` is atomic.
 */
export class MemoryUserStore implements UserStore {
  readonly #rows = new Map<string, User>();
  readonly #byUsername = new Map<string, string>();
  readonly #indexes = new Map<string, Readonly<Record<UserSort, SortedIndex>>>();

  async create(user: User): Promise<void> {
    const key = tenantKey(user.tenantId, user.id);
    const username = user.username.toLowerCase();
    const nameKey = tenantKey(user.tenantId, username);
    if (this.#rows.has(key)) throw new GatehouseError('GH_CONFLICT', `user ${user.id} already exists`);
    if (this.#byUsername.has(nameKey)) throw new GatehouseError('GH_CONFLICT', 'a user with this username already exists');
    this.#rows.set(key, structuredClone({ ...user, username }));
    this.#byUsername.set(nameKey, user.id);
    this.#index(user.tenantId, username, user.createdAt, user.id, 'add');
  }

  async get(tenantId: TenantId, id: string): Promise<User | undefined> {
    const row = this.#rows.get(tenantKey(tenantId, id));
    return row && structuredClone(row);
  }

  async findByUsername(tenantId: TenantId, username: string): Promise<User | undefined> {
    const id = this.#byUsername.get(tenantKey(tenantId, username.toLowerCase()));
    return id === undefined ? undefined : this.get(tenantId, id);
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

  async page(tenantId: TenantId, q: ListQuery<UserSort>): Promise<Page<User>> {
    const ix = this.#indexes.get(tenantId);
    if (!ix) return { items: [], next: null };
    const search = q.q === undefined || q.q === '' ? undefined : q.q.toLowerCase();
    const walk =
      q.sort === 'username'
        ? ix.username.walk(q, search)
        : ix.created_at.walk(
            q,
            undefined,
            search === undefined ? undefined : (id) => this.#rows.get(tenantKey(tenantId, id))?.username.startsWith(search) === true,
          );
    return takePage(walk, clampLimit(q.limit), (id) => {
      const row = this.#rows.get(tenantKey(tenantId, id));
      return row && structuredClone(row);
    });
  }

  async delete(tenantId: TenantId, id: string): Promise<boolean> {
    const key = tenantKey(tenantId, id);
    const row = this.#rows.get(key);
    if (!row) return false;
    this.#rows.delete(key);
    this.#byUsername.delete(tenantKey(tenantId, row.username));
    this.#index(tenantId, row.username, row.createdAt, row.id, 'remove');
    return true;
  }

  #index(tenantId: TenantId, username: string, createdAt: number, id: string, op: 'add' | 'remove'): void {
    let ix = this.#indexes.get(tenantId);
    if (!ix) {
      ix = { username: new SortedIndex(), created_at: new SortedIndex() };
      this.#indexes.set(tenantId, ix);
    }
    ix.username[op](username, id);
    ix.created_at[op](createdAt, id);
  }
}
