import type { User } from '../model/user.ts';

/**
 * A user as operators see it (CLI, admin API): snake_case, every field but the password hash,
 * which never leaves the store (S5). `has_password` says whether one is set.
 */
export function userView(user: User): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    roles: [...user.roles],
    claims: user.claims,
    attributes: user.attributes,
    groups: [...user.groups],
    disabled: user.disabled,
    has_password: user.passwordHash !== null,
    session_epoch: user.sessionEpoch ?? 0,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}
