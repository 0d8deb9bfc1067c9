import type { TenantId } from '../model/tenant.ts';
import type { User } from '../model/user.ts';

export type UserPatch = Partial<Pick<User, 'passwordHash' | 'roles' | 'claims' | 'disabled' | 'updatedAt'>>;

/**
 * End users, per tenant.
 * Adapters guarantee: `create` fails with `GH_CONFLICT` (GatehouseError) on a duplicate id or a
 * duplicate username and writes nothing; usernames are stored and matched lower-cased;
 * `get`/`findByUsername` return disabled users too (callers decide); `update` changes only the
 * given fields.
 */
export interface UserStore {
  create(user: User): Promise<void>;
  get(tenantId: TenantId, id: string): Promise<User | undefined>;
  findByUsername(tenantId: TenantId, username: string): Promise<User | undefined>;
  /** Ordered by username; `after` is the last username of the previous page. */
  list(tenantId: TenantId, opts?: { limit?: number; after?: string }): Promise<User[]>;
  /** Returns the updated user, or undefined when it does not exist. */
  update(tenantId: TenantId, id: string, patch: UserPatch): Promise<User | undefined>;
}
