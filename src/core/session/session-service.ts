import { sha256 } from '../crypto.ts';
import { GatehouseError } from '../errors.ts';
import type { SessionAccount, SessionRecord } from '../model/session.ts';
import type { TenantId } from '../model/tenant.ts';
import { epochSeconds, type Clock } from '../ports/clock.ts';
import type { Random } from '../ports/random.ts';
import type { SessionStore } from '../ports/session-store.ts';

/** The `session` config slice (S6): lifetimes in seconds, accounts per browser. */
export interface SessionConfig {
  readonly session: { readonly idleTtl: number; readonly absoluteTtl: number; readonly maxAccounts: number };
}

export interface SessionServiceDeps {
  readonly sessions: SessionStore;
  readonly clock: Clock;
  readonly random: Random;
  readonly tenantId: TenantId;
}

/** What a successful sign-in established (the password check happened before). */
export interface SignIn {
  readonly userId: string;
  readonly amr: readonly string[];
  readonly acr: string | null;
}

export interface SignedIn {
  /** The new cookie value (≥ 256 bits of randomness); only its SHA-256 is stored. */
  readonly cookie: string;
  readonly session: SessionRecord;
  readonly account: SessionAccount;
}

export interface SignedOut {
  /** What is left of the session, or undefined when it ended (no account left). */
  readonly session: SessionRecord | undefined;
  /** The accounts that were signed out (for front/back-channel logout). */
  readonly ended: readonly SessionAccount[];
}

export interface SessionService {
  /** The live session of a cookie value, or undefined (absent, unknown, idle or past its end). */
  read(cookie: string | undefined): Promise<SessionRecord | undefined>;
  /** Issues a NEW session value, carrying over the accounts of `previousCookie`'s session. */
  signIn(previousCookie: string | undefined, login: SignIn): Promise<SignedIn>;
  /** Makes `userId` (an account already in the session) the current one. */
  switchAccount(session: SessionRecord, userId: string): Promise<SessionRecord | undefined>;
  /** Signs out one account, or every account (then the session record is deleted). */
  signOut(session: SessionRecord, userId?: string): Promise<SignedOut>;
}

/** lastSeenAt is written at most once a minute (reads stay reads). */
export const TOUCH_INTERVAL = 60;
/** Bytes of randomness in a session cookie value (256 bits) and in a `sid`. */
const COOKIE_BYTES = 32;
const SID_BYTES = 16;

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/** The account in use, or undefined when the session holds none. */
export function currentAccount(session: SessionRecord | undefined): SessionAccount | undefined {
  if (!session || session.currentUserId === null) return undefined;
  return session.accounts.find((a) => a.userId === session.currentUserId);
}

/**
 * OIDC Session Management 1.0 §3 browser state: opaque, changes whenever the login status in
 * this browser changes (a sign-in issues a new session value; sign-out and switching change the
 * current account). Derived, so it needs no storage and every instance computes the same value.
 */
export function browserStateOf(session: SessionRecord | undefined): string | null {
  if (!session || session.accounts.length === 0) return null;
  const current = currentAccount(session);
  return sha256(`gatehouse-browser-state|${session.hash}|${current?.sid ?? ''}|${session.accounts.map((a) => a.sid).join(',')}`);
}

export function isLive(session: SessionRecord, now: number, idleTtl: number): boolean {
  return now < session.expiresAt && now < session.lastSeenAt + idleTtl;
}

export function createSessionService(deps: SessionServiceDeps, config: SessionConfig): SessionService {
  const { sessions, clock, random, tenantId } = deps;
  const { idleTtl, absoluteTtl, maxAccounts } = config.session;
  const now = () => epochSeconds(clock);

  async function live(hash: string): Promise<SessionRecord | undefined> {
    const s = await sessions.get(tenantId, hash);
    if (!s) return undefined;
    const t = now();
    if (!isLive(s, t, idleTtl)) {
      await sessions.delete(tenantId, hash);
      return undefined;
    }
    if (t - s.lastSeenAt < TOUCH_INTERVAL) return s;
    return (await sessions.update(tenantId, hash, { lastSeenAt: t })) ?? undefined;
  }

  return {
    async read(cookie) {
      if (!cookie) return undefined;
      return live(sha256(cookie));
    },

    async signIn(previousCookie, login) {
      const t = now();
      // Session fixation (OWASP): a sign-in never keeps the old value. The old record is deleted
      // and its other accounts move to the new record.
      const previous = previousCookie ? await live(sha256(previousCookie)) : undefined;
      if (previous) await sessions.delete(tenantId, previous.hash);
      const same = previous?.accounts.find((a) => a.userId === login.userId);
      const account: SessionAccount = {
        userId: login.userId,
        // Signing in again as the same user keeps its `sid` and clients (same OP session for RPs).
        sid: same?.sid ?? b64(random.bytes(SID_BYTES)),
        authTime: t,
        amr: [...login.amr],
        acr: login.acr,
        clientIds: same?.clientIds ?? [],
      };
      const others = (previous?.accounts ?? []).filter((a) => a.userId !== login.userId);
      // Most recent sign-ins first; beyond maxAccounts the oldest are dropped.
      const accounts = [account, ...[...others].sort((a, b) => b.authTime - a.authTime)].slice(0, maxAccounts);
      for (let attempt = 0; ; attempt++) {
        const cookie = b64(random.bytes(COOKIE_BYTES));
        const session: SessionRecord = {
          tenantId,
          hash: sha256(cookie),
          accounts,
          currentUserId: login.userId,
          createdAt: t,
          lastSeenAt: t,
          expiresAt: t + absoluteTtl,
        };
        try {
          await sessions.create(session);
          return { cookie, session, account };
        } catch (e) {
          // A 256-bit collision means a broken Random: retry once, then fail loudly.
          if (!(e instanceof GatehouseError && e.code === 'GH_CONFLICT') || attempt > 0) throw e;
        }
      }
    },

    async switchAccount(session, userId) {
      if (!session.accounts.some((a) => a.userId === userId)) return undefined;
      return sessions.update(tenantId, session.hash, { currentUserId: userId, lastSeenAt: now() });
    },

    async signOut(session, userId) {
      const ended = userId === undefined ? session.accounts : session.accounts.filter((a) => a.userId === userId);
      const left = session.accounts.filter((a) => !ended.includes(a));
      if (left.length === 0) {
        await sessions.delete(tenantId, session.hash);
        return { session: undefined, ended };
      }
      const currentUserId = left.some((a) => a.userId === session.currentUserId) ? session.currentUserId : null;
      const updated = await sessions.update(tenantId, session.hash, { accounts: left, currentUserId });
      return { session: updated, ended };
    },
  };
}
