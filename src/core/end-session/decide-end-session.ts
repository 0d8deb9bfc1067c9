import type { Client } from '../model/client.ts';
import type { SessionRecord } from '../model/session.ts';
import type { EndSessionDecision, EndSessionRequest } from './types.ts';

export interface DecideEndSessionDeps {
  /** The `sub` a client sees for a user (public or pairwise): how a hint's `sub` is matched. */
  readonly subjectFor: (client: Client, userId: string) => string;
}

/**
 * Whether to ask the End-User first (RP-Initiated Logout §2): "the OP MUST ask the End-User this
 * question if an id_token_hint was not provided or if the supplied ID Token does not belong to
 * the current OP session with the RP and/or currently logged in End-User. If the End-User says
 * "yes", then the OP MUST log out the End-User."
 * `session` is the browser's live session (undefined when none or expired).
 */
export function decideEndSession(deps: DecideEndSessionDeps, req: EndSessionRequest, session: SessionRecord | undefined): EndSessionDecision {
  // §4: "it is explicitly not an error for an RP to request that a logout be performed when the
  // OP does not consider that the End-User is logged in with the OP at the requesting RP."
  if (session === undefined || session.accounts.length === 0) return { kind: 'no_session' };
  const { hint, client } = req;
  if (hint === null) return { kind: 'confirm', reason: 'no_hint' };
  if (client === null) return { kind: 'confirm', reason: 'hint_client_unknown' };
  const account = session.accounts.find((a) => deps.subjectFor(client, a.userId) === hint.sub);
  if (account === undefined) return { kind: 'confirm', reason: 'hint_not_session_user' };
  // §2: "If the ID Token's sid claim does not correspond to the RP's current session or a recent
  // session at the OP, the OP SHOULD treat the logout request as suspect": ask before acting.
  if (hint.sid !== null && hint.sid !== account.sid) return { kind: 'confirm', reason: 'hint_sid_mismatch' };
  return { kind: 'logout' };
}
