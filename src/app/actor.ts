import { GatehouseError } from '../core/errors.ts';
import type { ActorRef } from '../core/events.ts';

/**
 * Operator roles, weakest first. Each includes everything the roles before it may do:
 * - `viewer`: read everything (lists, shows), never a secret.
 * - `operator`: viewer + manage clients, users, grants/tokens, sessions and consents.
 * - `admin`: everything, including signing-key rotation and deleting clients and users.
 * The table of which use case needs which role is in docs/operations.md.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who performs an operator action: the CLI (a person at a shell), or an admin API user or client. */
export interface Actor {
  readonly kind: ActorRef['kind'];
  readonly id: string;
  readonly roles: readonly Role[];
  /**
   * Where the actor acts from, for the audit record: the client IP address (admin API), or
   * `cli:<host>` (the CLI). Absent: `unknown`.
   */
  readonly origin?: string;
}

/** Whether any of the actor's roles is `required` or stronger. */
export function hasRole(actor: Pick<Actor, 'roles'>, required: Role): boolean {
  const need = ROLES.indexOf(required);
  return actor.roles.some((r) => ROLES.indexOf(r) >= need);
}

/** Throws GH_FORBIDDEN unless the actor holds `required` (or a stronger role). */
export function assertRole(actor: Actor, required: Role, useCase: string): void {
  if (!hasRole(actor, required)) {
    throw new GatehouseError('GH_FORBIDDEN', `${useCase} needs the ${required} role (${actor.kind} ${actor.id} has ${actor.roles.join(', ') || 'none'})`);
  }
}

/** What events and audit records carry: kind and id, never roles or credentials. */
export function actorRef(actor: Actor): ActorRef {
  return { kind: actor.kind, id: actor.id };
}

const SAFE_NAME = /^[\w.@-]{1,64}$/;

/**
 * The CLI acts as the operating-system user who runs it, with every role: whoever can run the
 * CLI against the database already holds its credentials and the KEK.
 */
export function cliActor(env: Readonly<Record<string, string | undefined>>, host?: string): Actor {
  const name = env['USER'] ?? env['LOGNAME'] ?? env['USERNAME'];
  const actor: Actor = { kind: 'cli', id: name && SAFE_NAME.test(name) ? name : 'cli', roles: ['admin'] };
  return host === undefined ? actor : { ...actor, origin: `cli:${SAFE_NAME.test(host) ? host : 'unknown-host'}` };
}
