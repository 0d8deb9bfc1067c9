import { sha256, timePrefix } from '../crypto.ts';
import { OAuthError } from '../errors.ts';
import type { EventPublisher } from '../events.ts';
import type { IdTokenInput, IdTokenIssuer } from '../id-token/types.ts';
import type { AuthorizationCodeRecord } from '../model/authorization-code.ts';
import { formatScope } from '../model/scope.ts';
import type { TenantId } from '../model/tenant.ts';
import { epochSeconds, type Clock } from '../ports/clock.ts';
import type { CodeStore } from '../ports/code-store.ts';
import type { ConsentStore } from '../ports/consent-store.ts';
import type { Random } from '../ports/random.ts';
import type { SessionRecord } from '../model/session.ts';
import type { SessionStore } from '../ports/session-store.ts';
import type { UserStore } from '../ports/user-store.ts';
import type { AccessTokenIssuer, IssuedAccessToken } from '../tokens/issue-access-token.ts';
import type { ClaimCatalog } from '../claims/claim-catalog.ts';
import { issueUserAccessToken } from '../tokens/user-grant-tokens.ts';
import type { UserSubjects } from '../tokens/user-subject.ts';
import { consentClaims, mergeConsent } from './consent.ts';
import { sessionState } from './session-state.ts';
import type { AuthorizationRequest, AuthorizationResponse, Decision } from './types.ts';

export interface CompleteDeps {
  readonly codes: Pick<CodeStore, 'insert'>;
  readonly consents: Pick<ConsentStore, 'get' | 'put'>;
  readonly sessions: Pick<SessionStore, 'addClient'>;
  readonly users: Pick<UserStore, 'get'>;
  readonly idTokens: Pick<IdTokenIssuer, 'issue' | 'subjectFor'>;
  readonly accessTokens: AccessTokenIssuer;
  readonly subjects: Pick<UserSubjects, 'forToken'>;
  /** Roles, groups and custom attributes by scope, for access tokens issued here. */
  readonly claimCatalog?: ClaimCatalog;
  readonly clock: Clock;
  readonly random: Random;
  readonly events: EventPublisher;
  readonly tenantId: TenantId;
}

type Complete = Extract<Decision, { kind: 'complete' }>;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

export interface CompleteOptions {
  readonly browserState: string | null;
  /** The browser's session as read for this request, if any: a client it already lists for the login is not written again. */
  readonly session?: SessionRecord | undefined;
}

/**
 * Mints what the response type asks for and builds the response (RFC 6749 §4.1.2 / §4.2.2,
 * OIDC Core §3.3.2.5). Everything is minted and signed before the code is stored, and remembered
 * consent and the session's client list are written last, so a failure leaves no usable code.
 */
export async function complete(
  deps: CompleteDeps,
  config: { readonly issuer: string; readonly authorization: { readonly codeTtl: number } },
  req: AuthorizationRequest,
  decision: Complete,
  opts: CompleteOptions,
): Promise<AuthorizationResponse> {
  const { client, responseType } = req;
  const { auth, grantedScope } = decision;
  const parts = responseType.split(' ');
  const now = epochSeconds(deps.clock);
  // One grant id for the code and the front-channel access token: a reused code revokes both.
  const grantId = timePrefix(deps.clock.now()) + b64(deps.random.bytes(16));
  const params: Record<string, string> = {};

  // RFC 6749 §10.10: "The probability of an attacker guessing generated tokens [...] MUST be
  // less than or equal to 2^(-128)" — 256 random bits, stored as SHA-256 only (S5).
  const code = parts.includes('code') ? b64(deps.random.bytes(32)) : undefined;
  let accessToken: IssuedAccessToken | undefined;
  let subject: string | undefined;
  // Read once for the tokens issued here (mapped claims of the access token, the ID token).
  const user = parts.includes('token') || parts.includes('id_token') ? await deps.users.get(deps.tenantId, auth.userId) : undefined;
  if (parts.includes('token')) {
    // The grant's scope, narrowed to what the requested resources accept (as the token endpoint
    // does), issued by the token endpoint grants' own function: same claims, events and format.
    const plan = deps.accessTokens.plan(client, undefined, req.resources, grantedScope);
    const { issued, ref } = await issueUserAccessToken(deps, {
      client,
      grantType: 'implicit',
      userId: auth.userId,
      auth,
      plan,
      grantId,
      claims: req.claims,
      ...(user ? { user } : {}),
    });
    accessToken = issued;
    subject = ref.subject;
  }
  let idToken: string | undefined;
  if (parts.includes('id_token')) {
    if (!user) throw OAuthError.invalidGrant('the user is no longer available', `user ${auth.userId}`);
    const input: IdTokenInput = {
      client,
      auth,
      user,
      subject: subject ?? deps.idTokens.subjectFor(client, auth.userId),
      scope: grantedScope,
      claims: req.claims,
      nonce: req.nonce,
      // OIDC Core §3.3.2.11: c_hash "If the ID Token is issued from the Authorization Endpoint
      // with a code [...] this is REQUIRED"; at_hash "If the ID Token is issued from the
      // Authorization Endpoint with an access_token value [...] this is REQUIRED". s_hash (FAPI 1.0
      // Advanced §5.2.2.1) binds the state as well.
      ...(code !== undefined ? { code } : {}),
      ...(accessToken ? { accessToken: accessToken.token } : {}),
      ...(req.state !== null ? { state: req.state } : {}),
      // OIDC Core §5.4: scope claims go in the ID token only when no access token is issued.
      scopeClaimsAtUserInfo: responseType !== 'id_token',
    };
    idToken = await deps.idTokens.issue(input);
  }
  if (code !== undefined) {
    const record: AuthorizationCodeRecord = {
      tenantId: deps.tenantId,
      hash: sha256(code),
      clientId: client.clientId,
      redirectUri: req.redirectUri,
      scope: formatScope(grantedScope),
      resources: req.resources,
      claims: req.claims,
      nonce: req.nonce,
      codeChallenge: req.codeChallenge,
      codeChallengeMethod: req.codeChallengeMethod,
      auth,
      grantId,
      // RFC 9449 §10: "the authorization server associates the authorization code with the
      // dpop_jkt value"; the token request must prove that key.
      cnf: req.dpopJkt === null ? null : { jkt: req.dpopJkt },
      // RFC 6749 §4.1.2: "The authorization code MUST expire shortly after it is issued".
      issuedAt: now,
      expiresAt: now + config.authorization.codeTtl,
      consumedAt: null,
    };
    await deps.codes.insert(record);
    params.code = code;
  }
  if (accessToken) {
    params.access_token = accessToken.token;
    params.token_type = 'Bearer';
    params.expires_in = String(accessToken.expiresIn);
    // RFC 6749 §4.2.2 scope: "OPTIONAL, if identical to the scope requested by the client;
    // otherwise, REQUIRED."
    if (accessToken.scope !== formatScope(req.scope)) params.scope = accessToken.scope;
  }
  if (idToken !== undefined) params.id_token = idToken;
  // RFC 6749 §4.1.2 state: "REQUIRED if the "state" parameter was present in the client
  // authorization request. The exact value received from the client."
  if (req.state !== null) params.state = req.state;
  // RFC 9207 §2: "Authorization servers supporting this specification MUST provide their issuer
  // identifier to clients in authorization responses" (iss).
  params.iss = config.issuer;
  // OIDC Session Management 1.0 §3: session_state is returned with a successful OpenID response.
  if (req.openid && opts.browserState !== null)
    params.session_state = sessionState(client.clientId, req.redirectUri, opts.browserState, b64(deps.random.bytes(16)));

  await afterGrant(deps, req, decision, now, opts.session);
  deps.events.publish('authorization.granted', {
    tenantId: deps.tenantId,
    clientId: client.clientId,
    userId: auth.userId,
    responseType,
    scope: formatScope(grantedScope),
  });
  return { redirectUri: req.redirectUri, responseMode: req.responseMode, params };
}

/** Remembers consent given on the page, and that this client now holds tokens of the login (for logout). */
async function afterGrant(deps: CompleteDeps, req: AuthorizationRequest, decision: Complete, now: number, session: SessionRecord | undefined): Promise<void> {
  const { auth } = decision;
  const clientId = req.client.clientId;
  if (decision.rememberConsent) {
    const existing = await deps.consents.get(deps.tenantId, auth.userId, clientId);
    const claims = consentClaims(req.claims);
    await deps.consents.put(mergeConsent(existing, { tenantId: deps.tenantId, userId: auth.userId, clientId, scope: decision.grantedScope, claims, now }));
    deps.events.publish('consent.granted', { tenantId: deps.tenantId, clientId, userId: auth.userId, scopes: [...decision.grantedScope], claims: [...claims] });
  }
  // A returning client (every authorization after the first for this login) is already listed in
  // the session this request read: a sid's client list only grows until its account ends, so
  // there is nothing to write.
  if (session?.accounts.find((a) => a.sid === auth.sid)?.clientIds.includes(clientId)) return;
  // One atomic append in the store: RPs completing at once for the same login are all kept.
  await deps.sessions.addClient(deps.tenantId, auth.sid, clientId);
}
