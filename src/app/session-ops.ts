import { GatehouseError } from '../core/errors.ts';
import { notifyRelyingParties, type NotifyDeps } from '../core/end-session/perform-logout.ts';
import type { EventPublisher } from '../core/events.ts';
import { subjectFor } from '../core/id-token/subject.ts';
import type { SessionAccount } from '../core/model/session.ts';
import type { User } from '../core/model/user.ts';
import { MAX_LIMIT } from './paging.ts';
import type { AppDeps } from './deps.ts';

/** The notifier's deps, as the end-session endpoint builds them (same subjects, keys, notifier). */
function notifyDeps(deps: AppDeps, events: EventPublisher): NotifyDeps {
  return {
    clients: deps.clients,
    keys: deps.keys,
    notifier: deps.logoutNotifier,
    events,
    clock: deps.clock,
    newId: deps.newId,
    subjectFor: (client, userId) => subjectFor(client, userId, deps.config),
    tenantId: deps.tenantId,
  };
}

/**
 * Ends signed-in accounts by `sid` and notifies their relying parties exactly as the end-session
 * endpoint does (Back-Channel Logout §2.5, through `notifyRelyingParties`). Only the caller whose
 * `endSid` removed an account notifies for it, so two operators ending one sid notify once.
 * Returns the accounts this call ended (a sid already gone is skipped) and the Logout Tokens queued.
 */
export async function endSids(deps: AppDeps, events: EventPublisher, sids: readonly string[]): Promise<{ ended: SessionAccount[]; backchannel: number }> {
  const ended: SessionAccount[] = [];
  for (const sid of new Set(sids)) {
    const before = await deps.userSessions.endSid(deps.tenantId, sid);
    const account = before?.accounts.find((a) => a.sid === sid);
    if (account) ended.push(account);
  }
  // The signing keys were read by the use case's `beforeUnit` (loadSigningKeys): reading them
  // here, inside the unit's transaction, would wait forever on SQLite's lock when the process's
  // configured algorithms leave the key manager not `ready` (a CLI configured unlike the server).
  const { backchannel } = await notifyRelyingParties(notifyDeps(deps, events), deps.config, ended);
  return { ended, backchannel };
}

/**
 * `beforeUnit` of the use cases that end sessions: a process that has not loaded the signing keys
 * (the CLI) reads them before the unit's transaction opens; inside it only the unit's stores may
 * be used, and the Logout Tokens are signed there.
 */
export async function loadSigningKeys(deps: Pick<AppDeps, 'keys'>): Promise<void> {
  if (!deps.keys.ready) await deps.keys.load();
}

/** Every sid the user is signed in with, across all browser sessions (all pages). */
export async function sidsOfUser(deps: AppDeps, userId: string): Promise<string[]> {
  const sids: string[] = [];
  for (let after; ; ) {
    const page = await deps.userSessions.pageByUser(deps.tenantId, userId, { limit: MAX_LIMIT, sort: 'auth_time', order: 'asc', ...(after ? { after } : {}) });
    sids.push(...page.items.map((s) => s.sid));
    if (page.next === null) return sids;
    after = page.next;
  }
}

/**
 * Starts a new session generation for the user (users.session_epoch, docs/console.md): every
 * console session begun under an earlier one is refused at its next request, on every instance.
 * Written through the unit's user store, so it commits with the use case's audit record and event.
 * Two operators at once may both write the same next value; either way the old one is gone.
 */
export async function newSessionEpoch(deps: Pick<AppDeps, 'users' | 'tenantId'>, user: User): Promise<User> {
  const next = await deps.users.update(deps.tenantId, user.id, { sessionEpoch: (user.sessionEpoch ?? 0) + 1 });
  if (!next) throw new GatehouseError('GH_NOT_FOUND', `no user ${user.id}`);
  return next;
}
