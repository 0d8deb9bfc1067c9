import type { TenantId } from '../model/tenant.ts';
import type { User } from '../model/user.ts';
import type { ListQuery, Page } from './list.ts';

export type UserSort = 'username' | 'created_at';

/**
 * Claims, attributes and groups are one profile (SQL keeps them in one JSON column): a patch
 * sets all three or none.
 */
type ProfilePatch =
  | { readonly claims?: undefined; readonly attributes?: undefined; readonly groups?: undefined }
  | Pick<User, 'claims' | 'attributes' | 'groups'>;

export type UserPatch = Partial<Pick<User, 'passwordHash' | 'roles' | 'disabled' | 'signInEpoch' | 'sessionEpoch' | 'updatedAt'>> & ProfilePatch;

/**
 * End users, per tenant.
 * Adapters guarantee: `create` fails with `GH_CONFLICT` (GatehouseError) on a duplicate id or a
 * duplicate username and writes nothing; usernames are stored and matched lower-cased;
 * `get`/`findByUsername` return disabled users too (callers decide); `update` changes only the
 * given fields; `delete` removes only the user row (the application layer ends its sessions,
 * consents and grants through their ports).
 *
 * `page` (the ListQuery rules of ./list.ts): sort `username` (k = the lower-cased username) or
 * `created_at` (k = createdAt); the id is the user id. `q` is a username prefix, matched
 * lower-cased (case-insensitive) — with `created_at` checked while walking that index.
 */
export interface UserStore {
  create(user: User): Promise<void>;
  get(tenantId: TenantId, id: string): Promise<User | undefined>;
  findByUsername(tenantId: TenantId, username: string): Promise<User | undefined>;
  /** Returns the updated user, or undefined when it does not exist. */
  update(tenantId: TenantId, id: string, patch: UserPatch): Promise<User | undefined>;
  page(tenantId: TenantId, q: ListQuery<UserSort>): Promise<Page<User>>;
  /** Returns false when the user did not exist. */
  delete(tenantId: TenantId, id: string): Promise<boolean>;
}
