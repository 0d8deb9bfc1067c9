import { plainRandomId } from '../tokens/random-ids.ts';
import { GatehouseError } from '../errors.ts';
import type { ActorRef, EventMap } from '../events.ts';
import type { TenantId } from '../model/tenant.ts';
import type { StandardClaims, User, UserAttributeValue, UserRole } from '../model/user.ts';
import { epochSeconds } from '../ports/clock.ts';
import type { Ports, UserPatch } from '../ports/index.ts';
import { dummyHashFor } from './dummy-hash.ts';
import { parseStandardClaims } from './standard-claims.ts';
import { applyAttributeChange, type AttributeChange, type AttributeDefinitions } from './user-attributes.ts';
import { checkGroups, checkPassword, checkRoles, checkUsername, normalizePassword, normalizeUsername, plausiblePassword } from './user-rules.ts';

/** The slice of ports user management needs (S6), plus the tenant. */
export type UserServiceDeps = Pick<Ports, 'users' | 'passwordHasher' | 'clock' | 'random' | 'events'> & {
  readonly tenantId: TenantId;
  /** `users.attributes` from config: the custom attributes a user may carry (none when absent). */
  readonly attributes?: AttributeDefinitions;
};

export type UserCreatedVia = EventMap['user.created']['via'];
export type UserUpdatedVia = EventMap['user.updated']['via'];

export interface NewUser {
  readonly username: string;
  /** Plain text, validated (NIST SP 800-63B length), hashed with argon2id, then forgotten. */
  readonly password: string;
  readonly roles?: readonly string[];
  /** OIDC Core §5.1 standard claims; validated (no `sub`, no unknown claims). */
  readonly claims?: unknown;
  /** Custom attributes, each checked against its `users.attributes` definition. */
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly groups?: readonly string[];
  readonly via?: UserCreatedVia;
  /** The operator who asked (application layer), put on `user.created`. */
  readonly actor?: ActorRef;
}

/** What an operator may change about a user in one step (besides password and status). */
export interface UserChange {
  /** Standard claims to merge in; a member set to null is removed. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Replaces the roles. */
  readonly roles?: readonly string[];
  /** Replaces the groups. */
  readonly groups?: readonly string[];
  /** Sets and/or removes custom attributes. */
  readonly attributes?: AttributeChange;
}

/**
 * End users of one tenant: creation, password sign-in and the operator's changes. Each change
 * publishes one `user.*` event carrying `via` and, when an operator asked, `actor`.
 */
export interface UserService {
  create(input: NewUser): Promise<User>;
  authenticate(username: string, password: string): Promise<User | null>;
  /** A user by id, or by username (case-insensitive) when no id matches. */
  find(idOrUsername: string): Promise<User | undefined>;
  setPassword(idOrUsername: string, password: string, via: UserUpdatedVia, actor?: ActorRef): Promise<User>;
  setDisabled(idOrUsername: string, disabled: boolean, via: UserUpdatedVia, actor?: ActorRef): Promise<User>;
  update(idOrUsername: string, change: UserChange, via: UserUpdatedVia, actor?: ActorRef): Promise<User>;
}

export function createUserService(deps: UserServiceDeps): UserService {
  return {
    create: (input) => createUser(deps, input),
    authenticate: (username, password) => authenticate(deps, username, password),
    find: (idOrUsername) => findUser(deps, idOrUsername),
    setPassword: (idOrUsername, password, via, actor) => setPassword(deps, idOrUsername, password, { via, actor }),
    setDisabled: (idOrUsername, disabled, via, actor) => setUserDisabled(deps, idOrUsername, disabled, { via, actor }),
    update: (idOrUsername, change, via, actor) => updateUser(deps, idOrUsername, change, { via, actor }),
  };
}

/** Who asked for a change: the `via` of the event and, for an operator, the actor. */
interface ChangedBy {
  readonly via: UserUpdatedVia;
  readonly actor: ActorRef | undefined;
}

const withActor = (actor: ActorRef | undefined) => (actor ? { actor } : {});

/**
 * 128 random bits, base64url: the stable `sub` (or input to a pairwise `sub`). Never starts with
 * `-` or `_`, so `gatehouse users show <id>` cannot mistake it for an option.
 */
function newUserId(deps: Pick<UserServiceDeps, 'random'>): string {
  return plainRandomId(deps.random, 16);
}

/** Claims as stored: validated, with `updated_at` set to now unless the caller gave one. */
function stampClaims(raw: unknown, now: number): StandardClaims {
  const claims = parseStandardClaims(raw);
  return claims.updated_at === undefined ? { ...claims, updated_at: now } : claims;
}

/**
 * Creates a user. Every input is validated before anything is hashed or written; a taken
 * username fails with GH_CONFLICT (the store's unique index decides, so two racing creates
 * cannot both succeed).
 */
async function createUser(deps: UserServiceDeps, input: NewUser): Promise<User> {
  const { tenantId } = deps;
  const username = checkUsername(input.username);
  const password = checkPassword(input.password);
  const roles: UserRole[] = checkRoles(input.roles ?? ['user']);
  const now = epochSeconds(deps.clock);
  const claims = stampClaims(input.claims ?? {}, now);
  const attributes = applyAttributeChange(deps.attributes ?? {}, {}, { set: input.attributes ?? {} });
  const groups = checkGroups(input.groups ?? []);
  const user: User = {
    tenantId,
    id: newUserId(deps),
    username,
    passwordHash: await deps.passwordHasher.hash(password),
    roles,
    claims,
    attributes,
    groups,
    disabled: false,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await deps.users.create(user);
  } catch (e) {
    if (e instanceof GatehouseError && e.code === 'GH_CONFLICT') throw new GatehouseError('GH_CONFLICT', `a user named ${username} already exists`);
    throw e;
  }
  deps.events.publish('user.created', { tenantId, userId: user.id, via: input.via ?? 'admin', ...withActor(input.actor) });
  return user;
}

/**
 * Password sign-in. Resolves to the user, or null for every failure alike — unknown username,
 * wrong password, disabled account, no password set — so a caller cannot tell whether a username
 * exists. Each failure path performs one argon2id verification (against a fixed dummy hash when
 * there is no stored one), so the time taken does not tell either. A good password stored with
 * old parameters is rehashed with the current ones.
 */
async function authenticate(deps: UserServiceDeps, username: string, password: string): Promise<User | null> {
  const { tenantId } = deps;
  // Outside the rules it cannot be a password we stored; answering early depends on no user.
  if (!plausiblePassword(password)) return fail(deps, tenantId, null, 'wrong_password');
  const candidate = normalizePassword(password);
  const name = normalizeUsername(username);
  const user = name === null ? undefined : await deps.users.findByUsername(tenantId, name);
  const stored = user?.passwordHash ?? null;
  const ok = await deps.passwordHasher.verify(stored ?? (await dummyHashFor(deps.passwordHasher)), candidate);
  if (!user) return fail(deps, tenantId, null, 'unknown_user');
  if (stored === null) return fail(deps, tenantId, user.id, 'no_password');
  if (!ok) return fail(deps, tenantId, user.id, 'wrong_password');
  if (user.disabled) return fail(deps, tenantId, user.id, 'disabled');
  const current = deps.passwordHasher.needsRehash(stored) ? await rehash(deps, user, candidate) : user;
  deps.events.publish('user.authenticated', { tenantId, userId: user.id });
  return current;
}

function fail(deps: UserServiceDeps, tenantId: TenantId, userId: string | null, reason: EventMap['user.authentication_failed']['reason']): null {
  deps.events.publish('user.authentication_failed', { tenantId, userId, reason });
  return null;
}

/** Upgrades the stored hash after a good sign-in; a failed write keeps the old (still valid) hash. */
async function rehash(deps: UserServiceDeps, user: User, password: string): Promise<User> {
  try {
    const passwordHash = await deps.passwordHasher.hash(password);
    const updated = await deps.users.update(user.tenantId, user.id, { passwordHash, updatedAt: epochSeconds(deps.clock) });
    if (updated) deps.events.publish('user.updated', { tenantId: user.tenantId, userId: user.id, via: 'login', change: 'password_rehashed' });
    return updated ?? user;
  } catch {
    return user;
  }
}

async function findUser(deps: UserServiceDeps, idOrUsername: string): Promise<User | undefined> {
  const { tenantId } = deps;
  const byId = await deps.users.get(tenantId, idOrUsername);
  if (byId) return byId;
  const name = normalizeUsername(idOrUsername);
  return name === null ? undefined : deps.users.findByUsername(tenantId, name);
}

async function mustFind(deps: UserServiceDeps, idOrUsername: string): Promise<User> {
  const user = await findUser(deps, idOrUsername);
  if (!user) throw new GatehouseError('GH_USER_NOT_FOUND', `no user ${JSON.stringify(idOrUsername.slice(0, 64))}`);
  return user;
}

async function mustUpdate(deps: UserServiceDeps, user: User, patch: UserPatch, by: ChangedBy, change: EventMap['user.updated']['change']): Promise<User> {
  const updated = await deps.users.update(user.tenantId, user.id, { ...patch, updatedAt: epochSeconds(deps.clock) });
  if (!updated) throw new GatehouseError('GH_USER_NOT_FOUND', `no user ${user.id}`);
  deps.events.publish('user.updated', { tenantId: user.tenantId, userId: user.id, via: by.via, change, ...withActor(by.actor) });
  return updated;
}

/** Replaces the password (validated, then hashed). The old one stops working at once. */
async function setPassword(deps: UserServiceDeps, idOrUsername: string, password: string, by: ChangedBy): Promise<User> {
  const checked = checkPassword(password);
  const user = await mustFind(deps, idOrUsername);
  return mustUpdate(deps, user, { passwordHash: await deps.passwordHasher.hash(checked) }, by, 'password');
}

/** A disabled user cannot sign in (authenticate fails exactly as for a wrong password). */
async function setUserDisabled(deps: UserServiceDeps, idOrUsername: string, disabled: boolean, by: ChangedBy): Promise<User> {
  const user = await mustFind(deps, idOrUsername);
  return mustUpdate(deps, user, { disabled }, by, disabled ? 'disabled' : 'enabled');
}

/**
 * Changes claims, attributes, roles and/or groups in ONE write and one `user.updated`. Claims are
 * merged (a member set to null is removed) and the result is validated as a whole; attributes
 * are set/unset one by one against their definitions; `updated_at` becomes now unless the change
 * sets it (any profile change counts). Everything is checked before anything is written.
 */
async function updateUser(deps: UserServiceDeps, idOrUsername: string, change: UserChange, by: ChangedBy): Promise<User> {
  const roles = change.roles === undefined ? undefined : checkRoles(change.roles);
  const groups = change.groups === undefined ? undefined : checkGroups(change.groups);
  const user = await mustFind(deps, idOrUsername);
  const attributes: Record<string, UserAttributeValue> | undefined =
    change.attributes === undefined ? undefined : applyAttributeChange(deps.attributes ?? {}, user.attributes, change.attributes);
  let claims: StandardClaims | undefined;
  if (change.claims !== undefined || attributes !== undefined || groups !== undefined) {
    // OIDC Core §5.1 updated_at: "Time the End-User's information was last updated".
    const merged: Record<string, unknown> = { ...user.claims };
    delete merged['updated_at'];
    for (const [k, v] of Object.entries(change.claims ?? {})) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    claims = stampClaims(merged, epochSeconds(deps.clock));
  }
  if (claims === undefined && roles === undefined)
    throw new GatehouseError('GH_USER_INVALID', 'nothing to change: give claims, attributes, roles and/or groups');
  const profileChanged = change.claims !== undefined || attributes !== undefined || groups !== undefined;
  const what = profileChanged && roles ? 'claims_and_roles' : profileChanged ? 'claims' : 'roles';
  const profile = claims ? { claims, attributes: attributes ?? user.attributes, groups: groups ?? user.groups } : {};
  return mustUpdate(deps, user, { ...profile, ...(roles ? { roles } : {}) }, by, what);
}
