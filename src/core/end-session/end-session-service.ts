import type { SessionRecord } from '../model/session.ts';
import { decideEndSession } from './decide-end-session.ts';
import { performLogout, type PerformLogoutConfig, type PerformLogoutDeps } from './perform-logout.ts';
import { resolveEndSession, type ResolveEndSessionDeps } from './resolve-end-session.ts';
import type { EndSessionDecision, EndSessionParams, EndSessionRequest, LogoutResult } from './types.ts';

export type EndSessionDeps = ResolveEndSessionDeps & PerformLogoutDeps;

/** OIDC RP-Initiated Logout 1.0 behind GET/POST /end_session: validate, decide, log out. */
export interface EndSession {
  /** Validates the §2 parameters (hint, client, post_logout_redirect_uri); throws OAuthError. */
  resolve(params: EndSessionParams): Promise<EndSessionRequest>;
  /** Whether to ask the person, log out, or report that nobody is signed in (§2, §6). */
  decide(req: EndSessionRequest, session: SessionRecord | undefined): EndSessionDecision;
  /** Ends the browser session (when given) and notifies the RPs (front- and back-channel). */
  perform(input: { readonly sessionHash: string | null; readonly request: EndSessionRequest | null }): Promise<LogoutResult>;
}

export function createEndSession(deps: EndSessionDeps, config: PerformLogoutConfig): EndSession {
  return {
    resolve: (params) => resolveEndSession(deps, params),
    decide: (req, session) => decideEndSession({ subjectFor: deps.subjectFor }, req, session),
    perform: (input) => performLogout(deps, config, input),
  };
}
