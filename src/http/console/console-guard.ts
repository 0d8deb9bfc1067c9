import type { FastifyRequest } from 'fastify';
import type { Actor, Application, UserView } from '../../app/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { ConsoleSessions } from './console-session.ts';
import type { ConsoleViewer } from './console-layout.ts';

/**
 * Reads the user of a console session on every request (never cached in the cookie): the
 * `admin` user role acts with the application's admin role, `auditor` with the read-only viewer
 * role (issue #11: "roles admin and read-only auditor for people"). The lookup is a read through
 * the application layer by the console itself (reads are not audited).
 */
export const CONSOLE_READER: Actor = { kind: 'admin_client', id: 'gatehouse-console', roles: ['viewer'] };

export type ConsoleAccess =
  /** `ended`: a session cookie was there but no longer counts (user gone or disabled, generation changed). */
  | { readonly kind: 'anonymous'; readonly ended?: true }
  | { readonly kind: 'forbidden'; readonly username: string }
  | { readonly kind: 'ok'; readonly viewer: ConsoleViewer; readonly actor: Actor };

/** The console role of a user: admin wins over auditor; null for anyone else. */
export function consoleRole(roles: readonly string[]): 'admin' | 'auditor' | null {
  return roles.includes('admin') ? 'admin' : roles.includes('auditor') ? 'auditor' : null;
}

export async function consoleAccess(request: FastifyRequest, sessions: ConsoleSessions, application: Application): Promise<ConsoleAccess> {
  const session = sessions.current(request);
  if (session === null) return { kind: 'anonymous' };
  let user: UserView;
  try {
    user = await application.users.show(CONSOLE_READER, { user: session.userId });
  } catch (e) {
    if (e instanceof GatehouseError && e.code === 'GH_NOT_FOUND') return { kind: 'anonymous', ended: true };
    throw e;
  }
  if (user.disabled) return { kind: 'anonymous', ended: true };
  // The session generation, from the same read: every session of the user was ended (from another
  // browser, the admin API, the CLI or MCP), the password changed or the user was disabled since
  // this session began. docs/console.md "Ending a console session".
  if (user.session_epoch !== session.epoch) return { kind: 'anonymous', ended: true };
  const role = consoleRole(user.roles);
  if (role === null) return { kind: 'forbidden', username: user.username };
  return {
    kind: 'ok',
    viewer: { username: user.username, role },
    // The audit record names the person (admin_user, the user id) and where they acted from.
    actor: { kind: 'admin_user', id: user.id, roles: [role === 'admin' ? 'admin' : 'viewer'], origin: request.ip },
  };
}
