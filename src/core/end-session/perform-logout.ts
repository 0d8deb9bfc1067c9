import type { EventPublisher } from '../events.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import type { Client } from '../model/client.ts';
import { oidcMetadata } from '../model/client-oidc.ts';
import type { SigningAlg } from '../model/key.ts';
import type { SessionAccount } from '../model/session.ts';
import type { Clock } from '../ports/clock.ts';
import type { ClientStore } from '../ports/client-store.ts';
import type { SessionStore } from '../ports/session-store.ts';
import { frontchannelLogout } from './frontchannel.ts';
import type { LogoutNotifier } from './logout-notifier.ts';
import { LOGOUT_TOKEN_TTL, logoutTokenAlg, signLogoutToken } from './logout-token.ts';
import { postLogoutRedirectTarget } from './post-logout-redirect.ts';
import type { EndSessionRequest, FrontchannelLogout, LogoutResult } from './types.ts';

export interface PerformLogoutDeps {
  readonly sessions: Pick<SessionStore, 'delete'>;
  readonly clients: Pick<ClientStore, 'get'>;
  readonly keys: Pick<KeyRing, 'signer'>;
  readonly notifier: LogoutNotifier;
  readonly events: EventPublisher;
  readonly clock: Clock;
  /** base64url random identifier of `bytes` random bytes (the Logout Token `jti`). */
  readonly newId: (bytes: number) => string;
  readonly subjectFor: (client: Client, userId: string) => string;
  readonly tenantId: string;
}

export interface PerformLogoutConfig {
  readonly issuer: string;
  readonly tokens: { readonly idTokenSigningAlg: SigningAlg };
}

/**
 * Ends a browser session — every account in it — and notifies the relying parties that received
 * tokens in it (RP-Initiated Logout §2: "the OP uses the logout mechanism(s) registered by the RPs
 * to notify any RPs logged in as that End-User"). The session is deleted first; only the caller
 * whose delete returned the record sends notifications, so a double submit notifies once.
 * Back-channel tokens go to the notifier, which returns at once: nothing here waits for an RP.
 */
export async function performLogout(
  deps: PerformLogoutDeps,
  config: PerformLogoutConfig,
  input: { readonly sessionHash: string | null; readonly request: EndSessionRequest | null },
): Promise<LogoutResult> {
  const ended = input.sessionHash === null ? undefined : await deps.sessions.delete(deps.tenantId, input.sessionHash);
  const accounts = ended?.accounts ?? [];
  const { backchannel, frontchannel } = await notifyRelyingParties(deps, config, accounts);

  const req = input.request;
  if (ended !== undefined) {
    deps.events.publish('logout.completed', {
      tenantId: deps.tenantId,
      clientId: req?.client?.clientId ?? null,
      accounts: accounts.length,
      backchannel,
      frontchannel: frontchannel.length,
    });
  }
  const redirectTo = req?.postLogoutRedirectUri ? postLogoutRedirectTarget(req.postLogoutRedirectUri, req.state) : null;
  return { redirectTo, frontchannel, backchannel, accounts: accounts.length };
}

/** What notifying relying parties of ended accounts needs (the end-session endpoint and operators alike). */
export type NotifyDeps = Omit<PerformLogoutDeps, 'sessions'>;

/**
 * Notifies the relying parties that received tokens in the given (already ended) accounts:
 * queues one Logout Token per client with a `backchannel_logout_uri` (Back-Channel Logout §2.5)
 * and lists the front-channel iframes (Front-Channel Logout §3) for a page to render. Used by
 * `performLogout` and by operators ending sessions (src/app), which have no page to render them.
 */
export async function notifyRelyingParties(
  deps: NotifyDeps,
  config: PerformLogoutConfig,
  accounts: readonly SessionAccount[],
): Promise<{ readonly backchannel: number; readonly frontchannel: readonly FrontchannelLogout[] }> {
  const clients = new Map<string, Client | null>();
  const frontchannel: FrontchannelLogout[] = [];
  const seenFrames = new Set<string>();
  let backchannel = 0;
  for (const account of accounts) {
    for (const clientId of new Set(account.clientIds)) {
      const client = await loadClient(deps, clients, clientId);
      if (client === null) continue;
      if (notifyBackchannel(deps, config, client, account)) backchannel++;
      const frame = frontchannelLogout(client, config.issuer, account.sid);
      if (frame !== null && !seenFrames.has(frame.url)) {
        seenFrames.add(frame.url);
        frontchannel.push(frame);
      }
    }
  }
  return { backchannel, frontchannel };
}

async function loadClient(deps: NotifyDeps, cache: Map<string, Client | null>, clientId: string): Promise<Client | null> {
  if (!cache.has(clientId)) {
    const client = await deps.clients.get(deps.tenantId, clientId);
    // A disabled client gets no notification: its endpoints are not trusted any more.
    cache.set(clientId, client && !client.disabled ? client : null);
  }
  return cache.get(clientId) ?? null;
}

/** Signs and queues one Logout Token (Back-Channel Logout §2.4–§2.5); false when none is due. */
function notifyBackchannel(deps: NotifyDeps, config: PerformLogoutConfig, client: Client, account: SessionAccount): boolean {
  const meta = oidcMetadata(client);
  if (meta.backchannelLogoutUri === null) return false;
  const iat = Math.floor(deps.clock.now() / 1000);
  const jti = deps.newId(16);
  let logoutToken: string;
  try {
    logoutToken = signLogoutToken(deps.keys, logoutTokenAlg(client, config.tokens.idTokenSigningAlg), {
      issuer: config.issuer,
      clientId: client.clientId,
      sub: deps.subjectFor(client, account.userId),
      // §2.2: backchannel_logout_session_required: "whether the RP requires that a sid (session
      // ID) Claim be included in the Logout Token to identify the RP session with the OP".
      sid: meta.backchannelLogoutSessionRequired ? account.sid : null,
      iat,
      jti,
    });
  } catch {
    // Missing keys must not break the user's sign-out: the failure is reported as an event.
    deps.events.publish('backchannel_logout.failed', { tenantId: deps.tenantId, clientId: client.clientId, jti, attempts: 0, reason: 'sign_failed' });
    return false;
  }
  deps.notifier.notify({
    tenantId: deps.tenantId,
    clientId: client.clientId,
    uri: meta.backchannelLogoutUri,
    logoutToken,
    jti,
    expiresAt: iat + LOGOUT_TOKEN_TTL,
  });
  return true;
}
