import type { SessionAccount, SessionRecord } from '../model/session.ts';
import type { TenantId } from '../model/tenant.ts';
import type { UserStore } from '../ports/user-store.ts';
import { currentAccount } from './session-service.ts';

export interface AccountViewsDeps {
  readonly users: Pick<UserStore, 'get'>;
  readonly tenantId: TenantId;
}

/** The person signed in in this browser, as the pages show them. */
export interface SignedInView {
  readonly account: SessionAccount;
  readonly username: string;
}

/** One account of the browser session, for the account chooser. */
export interface AccountView {
  readonly sid: string;
  readonly username: string;
  /** A second line (name or email) when the user has one. */
  readonly detail: string | null;
}

/**
 * View models the server-rendered pages need about the accounts of a browser session (S1: the
 * pages get their data from core, route handlers only parse, call and render). Deleted and
 * disabled users are left out everywhere.
 */
export interface AccountViews {
  /** The current account with its username, or null when nobody usable is signed in. */
  signedIn(session: SessionRecord | undefined): Promise<SignedInView | null>;
  /** Every usable account of the session, in session order. */
  accounts(session: SessionRecord | undefined): Promise<AccountView[]>;
  /** The usernames of every account that still exists (disabled ones too): what a logout ends. */
  usernames(session: SessionRecord | undefined): Promise<string[]>;
}

export function createAccountViews(deps: AccountViewsDeps): AccountViews {
  const user = async (userId: string) => {
    const u = await deps.users.get(deps.tenantId, userId);
    return u && !u.disabled ? u : undefined;
  };
  return {
    async signedIn(session) {
      const account = currentAccount(session);
      const u = account ? await user(account.userId) : undefined;
      return account && u ? { account, username: u.username } : null;
    },
    async accounts(session) {
      const users = await Promise.all((session?.accounts ?? []).map(async (a) => ({ a, u: await user(a.userId) })));
      return users.flatMap(({ a, u }) => (u ? [{ sid: a.sid, username: u.username, detail: u.claims.name ?? u.claims.email ?? null }] : []));
    },
    async usernames(session) {
      const users = await Promise.all((session?.accounts ?? []).map((a) => deps.users.get(deps.tenantId, a.userId)));
      return users.flatMap((u) => (u ? [u.username] : []));
    },
  };
}
