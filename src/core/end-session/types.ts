import type { Client } from '../model/client.ts';

/**
 * The contract of the end-session endpoint (OpenID Connect RP-Initiated Logout 1.0).
 * Flow of one request:
 *   http parses query/form → `resolveEndSession` (hint, client, post_logout_redirect_uri: every
 *   check; a failure is an error page, never a redirect) → `decideEndSession` against the browser
 *   session → a confirmation page, or `performLogout` (ends the session, queues back-channel
 *   logout tokens, lists front-channel iframes) → http renders a redirect or the signed-out page.
 */

/** The raw parameters of RP-Initiated Logout §2 (query for GET, form for POST). */
export const END_SESSION_PARAMS = ['id_token_hint', 'logout_hint', 'client_id', 'post_logout_redirect_uri', 'state', 'ui_locales'] as const;
export type EndSessionParamName = (typeof END_SESSION_PARAMS)[number];
export type EndSessionParams = Readonly<Partial<Record<EndSessionParamName, string>>>;

/** The verified claims of an `id_token_hint` this server issued (expired hints included). */
export interface VerifiedHint {
  readonly sub: string;
  readonly aud: readonly string[];
  readonly sid: string | null;
}

/** A validated logout request. Only `resolveEndSession` builds one. */
export interface EndSessionRequest {
  readonly hint: VerifiedHint | null;
  /** The client identified by `client_id` or the hint's `aud` (both agree when both are given). */
  readonly client: Client | null;
  /** Set only when it exactly matches one of the client's registered post_logout_redirect_uris. */
  readonly postLogoutRedirectUri: string | null;
  /** Returned to the RP with the redirect; ignored without a redirect. */
  readonly state: string | null;
  readonly logoutHint: string | null;
  readonly uiLocales: readonly string[];
  /** The parameters the request was built from, for the confirmation form's hidden fields. */
  readonly params: EndSessionParams;
}

export type EndSessionDecision =
  /** RP-Initiated Logout §2: the OP MUST ask the End-User (no hint, or it is not this session's). */
  | { readonly kind: 'confirm'; readonly reason: 'no_hint' | 'hint_not_session_user' | 'hint_sid_mismatch' | 'hint_client_unknown' }
  /** A valid hint naming this session's user: sign out without asking. */
  | { readonly kind: 'logout' }
  /** No signed-in session: nothing to end (logout is idempotent, §4). */
  | { readonly kind: 'no_session' };

/** One iframe of the signed-out page (Front-Channel Logout 1.0 §3). */
export interface FrontchannelLogout {
  readonly clientId: string;
  readonly url: string;
  /** `scheme://host[:port]` of `url`, for the page's `frame-src`. */
  readonly origin: string;
}

export interface LogoutResult {
  /** post_logout_redirect_uri with `state`, when the request validated one; else null. */
  readonly redirectTo: string | null;
  readonly frontchannel: readonly FrontchannelLogout[];
  /** Logout tokens handed to the notifier (delivery happens later, in the background). */
  readonly backchannel: number;
  /** Accounts that were signed in to the ended session (0 when there was none). */
  readonly accounts: number;
}
