import { z } from 'zod';
import { GatehouseError } from '../core/errors.ts';
import type { User } from '../core/model/user.ts';
import type { AttributeChange } from '../core/users/user-attributes.ts';
import { actorRef } from './actor.ts';
import { userKeyPrefix } from '../core/users/password-sign-in.ts';
import { denylistGrants } from './grant-ops.ts';
import { listFields, toListQuery, toListResult } from './paging.ts';
import { endSids, loadSigningKeys, newSessionEpoch, sidsOfUser } from './session-ops.ts';
import { defineUseCase, type UseCaseContext } from './use-case.ts';
import { userView } from './views.ts';

/** A user by id or username (case-insensitive), as every face accepts it. */
export const userRef = z.string().min(1).max(255);
/** Checked against the NIST SP 800-63B rules by the user service; bounded here to cap hashing work. */
const password = z.string().max(1024);
/** Free-form names; the user service checks the characters and the limits (64 each). */
const roles = z.array(z.string().max(64)).max(64);
const groups = z.array(z.string().max(128)).max(64);
/** Custom attributes (`users.attributes` in config); the user service names any undefined attribute or bad value. */
const attributes = z.record(z.string().max(64), z.union([z.string().max(4096), z.number(), z.boolean()]));
/** users.update: attributes to set (null removes one). */
const attributeChanges = z.record(z.string().max(64), z.union([z.string().max(4096), z.number(), z.boolean(), z.null()]));
/** OIDC Core §5.1 standard claims; the user service names any unknown claim or bad value. */
const claims = z.record(z.string().max(64), z.unknown());
const byUser = z.strictObject({ user: userRef });

type Ctx = Pick<UseCaseContext<null>, 'deps'>;

/** `{ name: value | null }` → values to set and names to remove (null removes, as for claims). */
function attributeChange(input: Readonly<Record<string, string | number | boolean | null>>): AttributeChange {
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  for (const [k, v] of Object.entries(input)) {
    if (v === null) unset.push(k);
    else set[k] = v;
  }
  return { set, unset };
}

export async function mustFindUser(ctx: Ctx, ref: string): Promise<User> {
  const user = await ctx.deps.userService.find(ref);
  if (!user) throw new GatehouseError('GH_NOT_FOUND', `no user ${JSON.stringify(ref.slice(0, 64))}`);
  return user;
}

export const createUserUseCase = defineUseCase({
  name: 'users.create',
  summary: 'Add an end user; the password is stored only as an argon2id hash',
  role: 'operator',
  input: z.strictObject({
    username: z.string().max(255),
    password,
    roles: roles.optional(),
    groups: groups.optional(),
    claims: claims.optional(),
    attributes: attributes.optional(),
  }),
  event: 'user.created',
  newPassword: (input) => input.password,
  handle: async (ctx, input) => userView(await ctx.deps.userService.create({ ...input, via: ctx.via, actor: actorRef(ctx.actor) })),
});

export const showUserUseCase = defineUseCase({
  name: 'users.show',
  summary: 'One user (never the password hash)',
  role: 'viewer',
  input: byUser,
  event: null,
  handle: async (ctx, input) => userView(await mustFindUser(ctx, input.user)),
});

export const listUsersUseCase = defineUseCase({
  name: 'users.list',
  summary: 'Users, one page at a time; q is a username prefix',
  role: 'viewer',
  input: z.strictObject(listFields(['username', 'created_at'], 'username')),
  event: null,
  handle: async (ctx, input) => toListResult(await ctx.deps.users.page(ctx.deps.tenantId, toListQuery(input, ['created_at'])), userView),
});

export const updateUserUseCase = defineUseCase({
  name: 'users.update',
  summary: 'Merge standard claims and custom attributes (null removes one) and/or replace roles and groups, in one write',
  role: 'operator',
  input: z
    .strictObject({ user: userRef, claims: claims.optional(), attributes: attributeChanges.optional(), roles: roles.optional(), groups: groups.optional() })
    .refine(
      (v) => v.claims !== undefined || v.attributes !== undefined || v.roles !== undefined || v.groups !== undefined,
      'give claims, attributes, roles and/or groups',
    ),
  event: 'user.updated',
  handle: async (ctx, input) =>
    userView(
      await ctx.deps.userService.update(
        input.user,
        {
          ...(input.claims ? { claims: input.claims } : {}),
          ...(input.attributes ? { attributes: attributeChange(input.attributes) } : {}),
          ...(input.roles ? { roles: input.roles } : {}),
          ...(input.groups ? { groups: input.groups } : {}),
        },
        ctx.via,
        actorRef(ctx.actor),
      ),
    ),
});

/** What ending a user's access did. */
export interface AccessEnded {
  readonly sessions_ended: number;
  readonly grants_revoked: number;
}

/**
 * Ends every session of the user (relying parties notified by Back-Channel Logout) and revokes
 * every grant with a live token (stored tokens revoked, each grant denylisted for its JWT access
 * tokens), as users.delete does. CWE-613: a changed or withdrawn credential must not leave
 * sessions and tokens obtained with it alive.
 */
async function endUserAccess(ctx: Pick<UseCaseContext<null>, 'deps' | 'events' | 'now'>, userId: string): Promise<AccessEnded> {
  const { deps } = ctx;
  const { ended } = await endSids(deps, ctx.events, await sidsOfUser(deps, userId));
  const { grants } = await denylistGrants(deps, await deps.grants.revokeByUser(deps.tenantId, userId, ctx.now()), ctx.now());
  return { sessions_ended: ended.length, grants_revoked: grants };
}

const NOTHING_ENDED: AccessEnded = { sessions_ended: 0, grants_revoked: 0 };

export const disableUserUseCase = defineUseCase({
  name: 'users.disable',
  summary:
    'The user can no longer sign in (as for a wrong password) and its tokens are inactive; with users.revokeOnDisable (default) its sessions end and its grants are revoked',
  role: 'operator',
  input: byUser,
  event: 'user.updated',
  beforeUnit: loadSigningKeys,
  handle: async (ctx, input) => {
    // Disabled first, so no sign-in or token refresh adds to what is being ended.
    const disabled = await ctx.deps.userService.setDisabled(input.user, true, ctx.via, actorRef(ctx.actor));
    // A new session generation: enabling the user again does not bring back an old console session.
    const user = await newSessionEpoch(ctx.deps, disabled);
    const ended = ctx.deps.config.users.revokeOnDisable ? await endUserAccess(ctx, user.id) : NOTHING_ENDED;
    return { ...userView(user), ...ended };
  },
});

export const enableUserUseCase = defineUseCase({
  name: 'users.enable',
  summary: 'Re-allow sign-in',
  role: 'operator',
  input: byUser,
  event: 'user.updated',
  handle: async (ctx, input) => userView(await ctx.deps.userService.setDisabled(input.user, false, ctx.via, actorRef(ctx.actor))),
});

export const setPasswordUseCase = defineUseCase({
  name: 'users.set_password',
  summary:
    "Replace the password (argon2id); the old one stops working at once; with users.revokeOnPasswordChange (default) the user's sessions end and its grants are revoked",
  role: 'operator',
  input: z.strictObject({ user: userRef, password }),
  event: 'user.updated',
  beforeUnit: loadSigningKeys,
  newPassword: (input) => input.password,
  handle: async (ctx, input) => {
    const changed = await ctx.deps.userService.setPassword(input.user, input.password, ctx.via, actorRef(ctx.actor));
    // Console sessions end whatever users.revokeOnPasswordChange says: a console session acts with
    // the operator's power, and a new password is what one does after a credential was exposed.
    const user = await newSessionEpoch(ctx.deps, changed);
    const ended = ctx.deps.config.users.revokeOnPasswordChange ? await endUserAccess(ctx, user.id) : NOTHING_ENDED;
    return { ...userView(user), ...ended };
  },
});

export const deleteUserUseCase = defineUseCase({
  name: 'users.delete',
  summary: 'Delete a user: end its sessions (RPs notified), revoke its grants, delete its consents',
  role: 'admin',
  input: byUser,
  event: 'user.deleted',
  beforeUnit: loadSigningKeys,
  handle: async (ctx, input) => {
    const { deps } = ctx;
    const user = await mustFindUser(ctx, input.user);
    // Disabled first, so no sign-in or token refresh adds to what is being removed.
    await deps.users.update(deps.tenantId, user.id, { disabled: true, updatedAt: ctx.now() });
    const { sessions_ended, grants_revoked } = await endUserAccess(ctx, user.id);
    const consents = await deps.consents.deleteByUser(deps.tenantId, user.id);
    if (!(await deps.users.delete(deps.tenantId, user.id))) throw new GatehouseError('GH_NOT_FOUND', `no user ${user.id}`);
    ctx.emit({ userId: user.id, sessionsEnded: sessions_ended, grantsRevoked: grants_revoked, consentsDeleted: consents });
    return { id: user.id, username: user.username, sessions_ended, grants_revoked, consents_deleted: consents };
  },
});

export const unlockUserUseCase = defineUseCase({
  name: 'users.unlock',
  summary: "Clear the user's sign-in counters (every address and device, and the username-wide delay)",
  role: 'operator',
  input: byUser,
  event: 'user.unlocked',
  handle: async (ctx, input) => {
    const user = await mustFindUser(ctx, input.user);
    // A new sign-in generation in the store: every process (also one without Redis, whose counters
    // are in its own memory) counts this user's next attempt under new, empty keys.
    await ctx.deps.users.update(ctx.deps.tenantId, user.id, { signInEpoch: (user.signInEpoch ?? 0) + 1 });
    // The counters are keyed by the username as stored (core/users/password-sign-in.ts); those
    // this process can reach (Redis, or its own memory) are cleared too.
    const counters = await ctx.deps.rateLimiter.resetPrefix(userKeyPrefix(user.username));
    ctx.emit({ userId: user.id, counters });
    return { id: user.id, username: user.username, counters_cleared: counters };
  },
});

export const userUseCases = {
  create: createUserUseCase,
  show: showUserUseCase,
  list: listUsersUseCase,
  update: updateUserUseCase,
  disable: disableUserUseCase,
  enable: enableUserUseCase,
  setPassword: setPasswordUseCase,
  delete: deleteUserUseCase,
  unlock: unlockUserUseCase,
} as const;
