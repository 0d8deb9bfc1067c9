import { OAuthError } from '../../errors.ts';
import type { EventPublisher } from '../../events.ts';
import type { KeyRing } from '../../keys/key-ring.ts';
import type { Client } from '../../model/client.ts';
import { parseScope } from '../../model/scope.ts';
import type { TenantId } from '../../model/tenant.ts';
import type { Clock } from '../../ports/clock.ts';
import type { TokenDenylist } from '../../ports/token-denylist.ts';
import type { TokenStore } from '../../ports/token-store.ts';
import { findToken, isActive, type TokenView } from '../../tokens/find-token.ts';
import { FOREIGN_SUBJECT_CLAIM, foreignIssuerOf } from '../../tokens/foreign-subject.ts';
import { GRANT_ID_CLAIM } from '../../tokens/grant-revocation.ts';
import type { AccessTokenIssuer } from '../../tokens/issue-access-token.ts';
import { checkTokenPrincipals, tokenUserId, type TokenPrincipalDeps } from '../../tokens/token-principals.ts';
import type { UserSubjects } from '../../tokens/user-subject.ts';
import { externalTokenView, isTrustedIssuerJwt, type ExternalSubjectDeps } from '../../trusted-issuers/external-subject-token.ts';
import { ExternalJwtRefusal } from '../../trusted-issuers/verify-external-jwt.ts';
import type { TokenGrant } from '../types.ts';
import type { ExchangeProfile } from './exchange-profile.ts';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** RFC 8693 §3: token type identifiers this server accepts or issues. */
export const TOKEN_TYPE = {
  access_token: 'urn:ietf:params:oauth:token-type:access_token',
  refresh_token: 'urn:ietf:params:oauth:token-type:refresh_token',
  id_token: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const;

/** Subject token types accepted (`jwt` and `access_token` also from trusted external issuers). */
export const SUBJECT_TOKEN_TYPES: readonly string[] = [TOKEN_TYPE.access_token, TOKEN_TYPE.jwt, TOKEN_TYPE.refresh_token, TOKEN_TYPE.id_token];
/**
 * Actor token types: access tokens and JWTs (ours or a trusted issuer's), and one of our ID tokens
 * issued to the requesting client (the person acting signed in there). Never a refresh token: it
 * is a credential for this endpoint (RFC 6749 §10.4), not a statement of who acts.
 */
const ACTOR_TOKEN_TYPES: readonly string[] = [TOKEN_TYPE.access_token, TOKEN_TYPE.jwt, TOKEN_TYPE.id_token];
const ISSUED_TOKEN_TYPES: readonly string[] = [TOKEN_TYPE.access_token, TOKEN_TYPE.jwt];

/**
 * Per-client policy, client metadata `token_exchange` (docs/token-exchange.md). Absent: the
 * client may exchange tokens issued to itself or whose `aud` names it, for the default audience
 * (this issuer) only, by impersonation or delegation.
 */
export interface TokenExchangePolicy {
  /** Clients whose tokens may be exchanged besides the client's own (and those naming it in `aud`); `'*'`: any. */
  readonly subjectClients: readonly string[] | '*';
  /** Audiences (`audience` values) and resource URIs (`resource` values) the client may target. */
  readonly audiences: readonly string[];
  /** With an actor token (the issued token carries `act`). Default true. */
  readonly delegation: boolean;
  /** Without an actor token. Default true. */
  readonly impersonation: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Reads `client.metadata.token_exchange`; a malformed value allows nothing beyond the default. */
export function tokenExchangePolicy(client: Client): TokenExchangePolicy {
  const raw = client.metadata['token_exchange'];
  const p = isRecord(raw) ? raw : {};
  return {
    subjectClients: p.subject_clients === '*' ? '*' : isStrings(p.subject_clients) ? p.subject_clients : [],
    audiences: isStrings(p.audiences) ? p.audiences : [],
    delegation: p.delegation !== false,
    impersonation: p.impersonation !== false,
  };
}

/** Checks the shape of `token_exchange` client metadata (registration, CLI, admin API). */
export function checkTokenExchangeMetadata(raw: unknown): string | null {
  if (raw === undefined) return null;
  if (!isRecord(raw)) return 'token_exchange must be an object';
  for (const k of Object.keys(raw)) {
    if (!['subject_clients', 'audiences', 'delegation', 'impersonation'].includes(k)) return `token_exchange.${k} is not a known member`;
  }
  if (raw.subject_clients !== undefined && raw.subject_clients !== '*' && !isStrings(raw.subject_clients)) {
    return "token_exchange.subject_clients must be '*' or an array of client ids";
  }
  if (raw.audiences !== undefined && !isStrings(raw.audiences)) return 'token_exchange.audiences must be an array of strings';
  for (const k of ['delegation', 'impersonation'] as const) {
    if (raw[k] !== undefined && typeof raw[k] !== 'boolean') return `token_exchange.${k} must be a boolean`;
  }
  return null;
}

export interface TokenExchangeDeps extends TokenPrincipalDeps {
  /** External subject tokens: the entry's subject mapping may look a user up by username. */
  readonly users: ExternalSubjectDeps['users'];
  readonly trustedIssuers: ExternalSubjectDeps['trustedIssuers'];
  readonly accessTokens: AccessTokenIssuer;
  readonly subjects: UserSubjects;
  readonly tokens: Pick<TokenStore, 'find'>;
  readonly denylist: Pick<TokenDenylist, 'has'>;
  readonly keys: Pick<KeyRing, 'verifyAsync'>;
  readonly clock: Clock;
  readonly events: EventPublisher;
  readonly tenantId: TenantId;
  readonly config: { readonly issuer: string; readonly clientAuth: { readonly clockSkew: number } };
  /**
   * Profiles that issue other token types (ID-JAG, transaction tokens; exchange-profiles.ts),
   * dispatched by `requested_token_type` after the common checks.
   */
  readonly profiles?: readonly ExchangeProfile[];
}

/**
 * Claims of the subject token that carry over: how and when the user signed in, its grant, and
 * the issuer of a subject that is not ours (RFC 9493 `sub_id`), so an exchange never turns an
 * external `sub` into a bare one that could pass for a local user.
 */
const CARRIED_CLAIMS = ['auth_time', 'acr', 'amr', GRANT_ID_CLAIM, FOREIGN_SUBJECT_CLAIM] as const;

/**
 * RFC 8693 §2.2.2: "If the request itself is not valid or if either the subject_token or
 * actor_token are invalid for any reason, or are unacceptable based on policy, ... The value of
 * the error parameter MUST be the invalid_request error code."
 */
const refused = (description: string, detail?: string) => OAuthError.invalidRequest(description, detail);

/**
 * RFC 8693: OAuth 2.0 Token Exchange, for tokens this server issued. Impersonation (no actor
 * token: the issued token names the subject alone) and delegation (an actor token: the issued
 * token carries `act`, §4.1, nesting the subject token's own `act`). Downscoping only; the issued
 * token never outlives the subject token; no refresh token (§2.2.1: "refresh_token OPTIONAL";
 * the client exchanges again).
 */
export function createTokenExchangeGrant(deps: TokenExchangeDeps): TokenGrant {
  const issuer = deps.config.issuer;
  const profiles = deps.profiles ?? [];

  /**
   * One of our ID tokens (OIDC Core §2) as a subject token: signature, `typ: JWT`, `iss`, `exp`,
   * `auth_time`, and the client it was issued to (`azp`, else its only `aud`). It stands for the
   * user's identity only, so its scope is `openid`. ID tokens carry no `jti` we could revoke nor a
   * sealed user id: a pairwise `sub` finds no user and is refused.
   */
  async function fromIdToken(token: string, now: number): Promise<TokenView | undefined> {
    const verified = await deps.keys.verifyAsync(token);
    if (!verified || typeof verified.header.typ !== 'string' || verified.header.typ.toUpperCase() !== 'JWT') return undefined;
    const p = verified.payload;
    const aud = typeof p.aud === 'string' ? [p.aud] : isStrings(p.aud) ? p.aud : [];
    const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    if (p.iss !== issuer || typeof p.sub !== 'string' || !num(p.exp) || !num(p.iat) || !num(p.auth_time) || aud.length === 0) return undefined;
    const clientId = typeof p.azp === 'string' ? p.azp : aud.length === 1 ? aud[0]! : undefined;
    if (clientId === undefined || !aud.includes(clientId) || p.exp <= now) return undefined;
    const claims: Record<string, unknown> = { auth_time: p.auth_time };
    if (p.acr !== undefined) claims.acr = p.acr;
    if (p.amr !== undefined) claims.amr = p.amr;
    return {
      format: 'jwt',
      kind: 'access_token',
      jti: typeof p.jti === 'string' ? p.jti : '',
      clientId,
      subject: p.sub,
      scope: 'openid',
      audience: aud,
      issuedAt: p.iat,
      expiresAt: p.exp,
      notBefore: undefined,
      cnf: null,
      claims,
      record: undefined,
    };
  }

  async function readToken(token: string, type: string, role: 'subject' | 'actor', now: number, client: Client): Promise<TokenView> {
    if (type === TOKEN_TYPE.id_token) {
      const view = await fromIdToken(token, now);
      if (!view) throw refused(`the ${role}_token is not a valid ID token this server issued`);
      // An ID token as actor stands for the person acting through this client: issued to it.
      if (role === 'actor' && view.clientId !== client.clientId) throw refused('an actor ID token must have been issued to the requesting client');
      const principals = await checkTokenPrincipals(deps, view);
      if (!principals.available || !principals.user) throw refused(`the ${role}_token's user or client is no longer available`);
      return view;
    }
    const view = await findToken(deps, issuer, token);
    if (!view && type !== TOKEN_TYPE.refresh_token && isTrustedIssuerJwt(deps.trustedIssuers, token, issuer)) {
      // A JWT of a trusted external issuer (config trustedIssuers, use token-exchange): its
      // entry's `clients` list stands in for subject_clients (docs/token-exchange.md).
      try {
        return await externalTokenView(deps, { jwt: token, client, nowMs: now * 1000, clockSkew: deps.config.clientAuth.clockSkew, issuer });
      } catch (e) {
        if (e instanceof ExternalJwtRefusal) throw refused(`the ${role}_token: ${e.description}`, e.detail);
        throw e;
      }
    }
    if (!view) throw refused(`the ${role}_token is not a token this server issued or a JWT of a trusted issuer`);
    const kindOk =
      type === TOKEN_TYPE.refresh_token ? view.kind === 'refresh_token' : view.kind === 'access_token' && (type !== TOKEN_TYPE.jwt || view.format === 'jwt');
    if (!kindOk) throw refused(`the ${role}_token is not of the ${role}_token_type`);
    if (!(await isActive(view, now, deps.denylist, deps.tenantId))) throw refused(`the ${role}_token is expired or revoked`);
    const principals = await checkTokenPrincipals(deps, view);
    if (!principals.available) throw refused(`the ${role}_token's ${principals.reason === 'user_unavailable' ? 'user' : 'client'} is no longer available`);
    return view;
  }

  return {
    type: TOKEN_EXCHANGE_GRANT,
    params: ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'scope', ...profiles.flatMap((p) => p.params)],
    // RFC 8693 §2.1: `audience` and `resource` may each appear more than once; `scope` once.
    repeatable: ['resource', 'audience'],
    allowsPublicClients: false,
    async handle({ client, params, resources, multi = {}, dpopJkt, address }) {
      const { subject_token, subject_token_type, actor_token, actor_token_type } = params;
      // RFC 8693 §2.1: subject_token and subject_token_type are REQUIRED; actor_token_type is
      // "REQUIRED when the actor_token parameter is present ... and MUST NOT be included otherwise".
      if (!subject_token || !subject_token_type) throw refused('subject_token and subject_token_type are required');
      if (!SUBJECT_TOKEN_TYPES.includes(subject_token_type) && !profiles.some((p) => p.subjectTokenTypes.includes(subject_token_type))) {
        throw refused('subject_token_type is not supported');
      }
      if ((actor_token === undefined) !== (actor_token_type === undefined)) throw refused('actor_token and actor_token_type go together');
      if (actor_token_type !== undefined && !ACTOR_TOKEN_TYPES.includes(actor_token_type)) throw refused('actor_token_type is not supported');
      const requestedType = params.requested_token_type ?? TOKEN_TYPE.access_token;
      // RFC 8693 §2.1 requested_token_type: an ID-JAG or a transaction token is its own profile.
      const profile = profiles.find((p) => p.tokenType === requestedType);
      if (profile) {
        if (!profile.subjectTokenTypes.includes(subject_token_type)) throw refused('subject_token_type is not accepted for this requested_token_type');
        const at = Math.floor(deps.clock.now() / 1000);
        return profile.handle({
          client,
          params,
          audiences: multi['audience'] ?? [],
          resources,
          address,
          now: at,
          readSubject: () => readToken(subject_token, subject_token_type, 'subject', at, client),
        });
      }
      if (!ISSUED_TOKEN_TYPES.includes(requestedType)) throw refused('requested_token_type is not supported');
      // A type only a profile takes (a transaction token to replace) is no subject for an access token.
      if (!SUBJECT_TOKEN_TYPES.includes(subject_token_type)) throw refused('subject_token_type is not accepted for this requested_token_type');

      const policy = tokenExchangePolicy(client);
      if (actor_token === undefined ? !policy.impersonation : !policy.delegation) {
        throw refused(`this client may not exchange tokens by ${actor_token === undefined ? 'impersonation' : 'delegation'}`);
      }

      // RFC 8693 §2.1 audience / RFC 8707 resource: every target must be on the client's list.
      const audiences = multi['audience'] ?? [];
      for (const target of [...audiences, ...resources]) {
        if (!policy.audiences.includes(target)) {
          // RFC 8693 §2.2.2: invalid_target: "the requested target audience is not acceptable".
          throw new OAuthError('invalid_target', 'the requested audience or resource is not allowed for this client', {
            detail: `target ${target.slice(0, 200)}`,
          });
        }
      }

      const now = Math.floor(deps.clock.now() / 1000);
      const subject = await readToken(subject_token, subject_token_type, 'subject', now, client);
      // A refresh token is a credential of its own client alone (RFC 6749 §10.4).
      if (subject.kind === 'refresh_token' && subject.clientId !== client.clientId) throw refused('a refresh token may be exchanged only by its own client');
      const ownOrAddressed = subject.clientId === client.clientId || subject.audience.includes(client.clientId);
      if (!ownOrAddressed && policy.subjectClients !== '*' && !policy.subjectClients.includes(subject.clientId)) {
        throw refused("this client may not exchange the subject_token's client's tokens", `subject client ${subject.clientId}`);
      }
      // RFC 9449 §7: a DPoP-bound subject token is presented with a proof of its key.
      if (subject.kind === 'access_token' && subject.cnf?.jkt !== undefined && subject.cnf.jkt !== dpopJkt) {
        throw refused('the subject_token is DPoP-bound: send a DPoP proof of its key');
      }
      const actor = actor_token === undefined ? null : await readToken(actor_token, actor_token_type!, 'actor', now, client);
      if (actor?.cnf?.jkt !== undefined && actor.cnf.jkt !== dpopJkt) throw refused('the actor_token is DPoP-bound: send a DPoP proof of its key');

      // RFC 8693 §4.4: may_act names who may act for the subject. The actor is the actor token's
      // party or, without one, the requesting client. Refused as invalid_request (§2.2.2:
      // "unacceptable based on policy").
      // An external actor without a local user (config trustedIssuers) has a `sub` of its issuer's
      // namespace: RFC 8693 §4.1 "iss" qualifies it in `act`, and a may_act (whose `sub` is ours
      // unless it names another `iss`) never matches it by an equal-looking `sub`.
      const actorIss = actor ? foreignIssuerOf(actor) : undefined;
      const actorId = actor
        ? { sub: actor.subject, client_id: actor.clientId, ...(actorIss !== undefined ? { iss: actorIss } : {}) }
        : { sub: client.clientId, client_id: client.clientId };
      const mayAct = subject.claims['may_act'];
      if (mayAct !== undefined) {
        const ok =
          isRecord(mayAct) &&
          Object.keys(mayAct).length > 0 &&
          (mayAct.iss ?? issuer) === (actorIss ?? issuer) &&
          Object.entries(mayAct).every(([k, v]) => (k === 'sub' || k === 'client_id' ? actorId[k] === v : k === 'iss'));
        if (!ok) throw refused("the actor is not allowed by the subject_token's may_act claim");
      }

      // Downscoping only: the subject token's scope, as far as this client may hold it.
      const subjectScope = parseScope(subject.scope) ?? [];
      const allowed = subjectScope.filter((s) => client.scopes.includes(s));
      const planned = deps.accessTokens.plan(client, params.scope, resources, allowed);
      const audience = audiences.length || resources.length ? [...new Set([...audiences, ...(resources.length ? planned.audience : [])])] : planned.audience;
      // The issued token never outlives the subject token: `notAfter` caps `exp` at the minting `iat`.
      const format = requestedType === TOKEN_TYPE.jwt ? 'jwt' : planned.format;
      const plan = { ...planned, audience, format, notAfter: subject.expiresAt } as const;

      const userId = tokenUserId(subject, deps.subjects);
      const claims: Record<string, unknown> = {};
      for (const k of CARRIED_CLAIMS) if (subject.claims[k] !== undefined) claims[k] = subject.claims[k];
      // An external subject token's copyClaims (config trustedIssuers; never the foreign payload).
      if ('copied' in subject) Object.assign(claims, subject.copied);
      let sub = subject.subject;
      if (userId) {
        // The `sub` this client sees for the user (pairwise or public), with its sealed id.
        const mine = deps.subjects.forToken(client, userId);
        sub = mine.subject;
        Object.assign(claims, mine.claims);
        if (typeof claims.auth_time !== 'number') claims.auth_time = subject.issuedAt;
      }
      const previousAct = isRecord(subject.claims['act']) ? subject.claims['act'] : undefined;
      // RFC 8693 §4.1: the outermost `act` is the current actor, nested ones prior actors.
      // Impersonation keeps the subject token's chain as it is: it never hides an earlier actor.
      const act = actor ? { ...actorId, ...(previousAct ? { act: previousAct } : {}) } : previousAct;
      if (act) claims.act = act;
      // The subject's grant (a stored token's, else its JWT's `grant_id`): the issued token, JWT or
      // opaque, belongs to it, so revoking the grant (or reusing its refresh token) ends it too.
      const grantId = subject.record?.grantId ?? (typeof subject.claims[GRANT_ID_CLAIM] === 'string' ? (subject.claims[GRANT_ID_CLAIM] as string) : undefined);

      const cnf = dpopJkt ? { jkt: dpopJkt } : null;
      const issued = await deps.accessTokens.issue({
        plan,
        grantType: TOKEN_EXCHANGE_GRANT,
        subject: sub,
        userId,
        ...(grantId ? { grantId } : {}),
        cnf,
        claims,
      });
      deps.events.publish('token.exchanged', {
        tenantId: deps.tenantId,
        clientId: client.clientId,
        subjectClientId: subject.clientId,
        subjectJti: subject.jti,
        actorClientId: actor?.clientId ?? null,
        delegation: actor !== null,
        audience: [...audience],
        scope: issued.scope,
        jti: issued.jti,
      });
      return {
        access_token: issued.token,
        // RFC 8693 §2.2.1: issued_token_type is REQUIRED.
        issued_token_type: requestedType,
        token_type: cnf ? 'DPoP' : 'Bearer',
        expires_in: issued.expiresIn,
        ...(issued.scope ? { scope: issued.scope } : {}),
      };
    },
  };
}
