import type { TenantId } from './tenant.ts';

/**
 * Roles are free-form names (`admin`, `billing:read`, `editor`); `user` is given when a user is
 * created without any. They are released to clients under the `roles` scope (docs/users.md).
 */
export type UserRole = string;

/** A custom attribute's stored value (its type comes from `users.attributes` in config). */
export type UserAttributeValue = string | number | boolean;

/**
 * OIDC Core §5.1 standard claims a user may carry (everything except `sub`, which is the user id).
 * `address` is the §5.1.1 structured object. Values are stored as given and released only by
 * scope or the `claims` request parameter (OIDC Core §5.4, §5.5).
 */
export interface StandardClaims {
  readonly name?: string;
  readonly given_name?: string;
  readonly family_name?: string;
  readonly middle_name?: string;
  readonly nickname?: string;
  readonly preferred_username?: string;
  readonly profile?: string;
  readonly picture?: string;
  readonly website?: string;
  readonly email?: string;
  readonly email_verified?: boolean;
  readonly gender?: string;
  readonly birthdate?: string;
  readonly zoneinfo?: string;
  readonly locale?: string;
  readonly phone_number?: string;
  readonly phone_number_verified?: boolean;
  readonly address?: Readonly<Record<string, string>>;
  readonly updated_at?: number;
}

/** An end user. The password is stored only as an argon2id PHC string (S5). */
export interface User {
  readonly tenantId: TenantId;
  /** Stable, never reassigned: the `sub` (or the input to a pairwise `sub`). */
  readonly id: string;
  /** Unique per tenant, compared case-insensitively (stored lower-cased). */
  readonly username: string;
  readonly passwordHash: string | null;
  readonly roles: readonly UserRole[];
  readonly claims: StandardClaims;
  /** Custom attributes named in `users.attributes` (config), validated on write. */
  readonly attributes: Readonly<Record<string, UserAttributeValue>>;
  /** Group names (free-form, e.g. `sales` or `/org/sales`), released under the `groups` scope. */
  readonly groups: readonly string[];
  readonly disabled: boolean;
  /**
   * The sign-in generation (absent: 0). The sign-in limiter puts it in every per-user key, so
   * `users.unlock` makes all earlier counters irrelevant in every process by changing it here.
   */
  readonly signInEpoch?: number;
  /**
   * The session generation (absent: 0). A console session carries the generation it began in and
   * ends when this changes: ending every session of the user, a new password, disabling the user.
   */
  readonly sessionEpoch?: number;
  readonly createdAt: number; // epoch seconds
  readonly updatedAt: number; // epoch seconds
}
