import type { OAuthError } from '../errors.ts';
import type { AuthenticationContext, ClaimsRequest } from '../model/authorization-code.ts';
import type { Client } from '../model/client.ts';
import type { SessionRecord } from '../model/session.ts';

/**
 * The contract between the HTTP layer (routes, pages, sessions) and the authorization core.
 * Flow of one request (OIDC Core §3.1.2):
 *   http parses query/form → `resolve` (client, redirect URI, PAR/JAR, every check) →
 *   `decide` against the browser session → either an interaction page (login, consent, account
 *   chooser) or `complete`, which mints code/tokens → http renders query/fragment/form_post.
 * Pages carry the resolved request in a sealed interaction (see `InteractionState`), so the
 * request is validated once and a pushed `request_uri` is used once.
 */

export const RESPONSE_MODES = ['query', 'fragment', 'form_post'] as const;
export type ResponseMode = (typeof RESPONSE_MODES)[number];
export const PROMPTS = ['none', 'login', 'consent', 'select_account'] as const;
export type Prompt = (typeof PROMPTS)[number];

/** A fully validated authorization request. Only `resolve` builds one. */
export interface AuthorizationRequest {
  readonly client: Client;
  readonly redirectUri: string;
  /** Normalized: space-separated values in canonical order, e.g. `code id_token`. */
  readonly responseType: string;
  readonly responseMode: ResponseMode;
  /** Requested scopes the client may have (unknown/unallowed ones already handled). */
  readonly scope: readonly string[];
  /** True when `openid` is in scope (an OpenID Connect request). */
  readonly openid: boolean;
  readonly state: string | null;
  readonly nonce: string | null;
  readonly codeChallenge: string | null;
  readonly codeChallengeMethod: 'S256' | 'plain' | null;
  readonly prompt: readonly Prompt[];
  readonly maxAge: number | null;
  /** `sub` of a valid `id_token_hint` issued by this server (signature checked; may be expired). */
  readonly idTokenHintSub: string | null;
  readonly loginHint: string | null;
  readonly acrValues: readonly string[];
  readonly claims: ClaimsRequest | null;
  readonly uiLocales: readonly string[];
  readonly display: string | null;
  readonly resources: readonly string[];
  /** RFC 9449 §10 `dpop_jkt`: the DPoP key the code is bound to (null: unbound). */
  readonly dpopJkt: string | null;
  /** The parameters the request was built from (after PAR/JAR), for re-resolving after a page. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Thrown by `resolve`/`decide`/`complete`. `redirect` is set only once the client and redirect
 * URI are validated (RFC 6749 §4.1.2.1): then the error goes back to the client; otherwise the
 * user sees an error page and nothing is sent anywhere.
 */
export interface AuthorizationFailure {
  readonly error: OAuthError;
  readonly redirect: { readonly redirectUri: string; readonly responseMode: ResponseMode; readonly state: string | null } | null;
}

/** What the pages have done so far for this request (kept inside the sealed interaction). */
export interface InteractionProgress {
  /** Epoch seconds of a sign-in performed during this interaction (satisfies prompt=login, max_age). */
  readonly loginAt: number | null;
  /**
   * The `sid` of the account that gave consent on the consent page during this interaction
   * (null: none). It counts only while that account is the current one.
   */
  readonly consentedSid: string | null;
  /**
   * The `sid` of the account that pressed Continue on the confirm page during this interaction
   * (null: none); like `consentedSid`, it counts only while that account is the current one.
   */
  readonly confirmedSid: string | null;
  /** The user picked an account on the chooser during this interaction. */
  readonly accountChosen: boolean;
}

export type InteractionPage = 'login' | 'consent' | 'select_account' | 'confirm';

export type Decision =
  /**
   * Show a page. `reason` is for logs (e.g. `max_age`, `prompt=login`, `no_session`). `confirm`:
   * a one-click "Continue as …" for a first-party client whose identity cannot be proven
   * (RFC 8252 §8.6), which must not be authorized without an interaction.
   */
  | { readonly kind: 'interaction'; readonly page: InteractionPage; readonly reason: string }
  /**
   * Everything satisfied: `complete` with this sign-in. Scopes/claims to grant are decided.
   * `rememberConsent`: consent was given on the page during this interaction; `complete` stores it.
   */
  | { readonly kind: 'complete'; readonly auth: AuthenticationContext; readonly grantedScope: readonly string[]; readonly rememberConsent?: boolean };

/** The authorization response parameters before rendering (RFC 6749 §4.1.2, RFC 9207 `iss`). */
export interface AuthorizationResponse {
  readonly redirectUri: string;
  readonly responseMode: ResponseMode;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Where `resolve`'s parameters come from (default `authorize`):
 * - `authorize`: the query or form at the authorization endpoint (`request`/`request_uri` honoured);
 * - `interaction`: the `params` of a request resolved before, carried sealed through the pages
 *   (require-PAR is satisfied, `request`/`request_uri` are refused: they were resolved already);
 * - `par`: a request being pushed (RFC 9126 §2.1: `request` honoured, `request_uri` refused),
 *   for the client the PAR endpoint authenticated.
 */
export type ResolveOptions =
  | { readonly via?: 'authorize' | 'interaction' }
  /**
   * `client`: the client the PAR endpoint authenticated (RFC 9126 §2.1), used as it is rather
   * than read again by `client_id` (the PAR service has made `client_id` that client's).
   */
  | { readonly via: 'par'; readonly client: Client };

export interface AuthorizationService {
  /**
   * Validates raw parameters (query or form) including `request` (JAR) and `request_uri` (PAR).
   * Several `resource` values travel space-separated in `raw.resource`.
   * Throws AuthorizationFailure (as `AuthorizationError`).
   */
  resolve(raw: Readonly<Record<string, string>>, opts?: ResolveOptions): Promise<AuthorizationRequest>;
  /** Decides what the request still needs given the browser session (may be undefined). */
  decide(req: AuthorizationRequest, session: SessionRecord | undefined, progress: InteractionProgress): Promise<Decision>;
  /**
   * Records consent when given, mints the code / tokens / ID token the response type asks for
   * and returns the response parameters (with `state`, `iss`, and `session_state`).
   */
  complete(
    req: AuthorizationRequest,
    decision: Extract<Decision, { kind: 'complete' }>,
    opts: { readonly browserState: string | null; readonly session?: SessionRecord | undefined },
  ): Promise<AuthorizationResponse>;
}
