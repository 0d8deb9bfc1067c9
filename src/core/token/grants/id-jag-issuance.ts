import { OAuthError } from '../../errors.ts';
import type { EventPublisher } from '../../events.ts';
import type { KeyRing } from '../../keys/key-ring.ts';
import type { SigningAlg } from '../../model/key.ts';
import { formatScope, parseScope } from '../../model/scope.ts';
import type { TenantId } from '../../model/tenant.ts';
import type { ClientStore } from '../../ports/client-store.ts';
import type { Random } from '../../ports/random.ts';
import type { UserStore } from '../../ports/user-store.ts';
import { createRandomIds } from '../../tokens/random-ids.ts';
import { tokenUserId } from '../../tokens/token-principals.ts';
import type { UserSubjects } from '../../tokens/user-subject.ts';
import { publishProfileExchange, type ExchangeProfile } from './exchange-profile.ts';

/** draft-ietf-oauth-identity-assertion-authz-grant §4.3: the requested (and issued) token type. */
export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
/** §3.1: "The typ of the JWT indicated in the JWT header MUST be oauth-id-jag+jwt." */
export const ID_JAG_TYP = 'oauth-id-jag+jwt';

/** One resource authorization server (config `idJag.audiences[]`, docs/config.md). */
export interface IdJagAudience {
  readonly issuer: string;
  readonly clients: readonly string[];
  readonly clientIds: Readonly<Record<string, string>>;
  readonly scopes: readonly string[];
  readonly resources: readonly string[];
  readonly ssoClientId?: string | undefined;
  readonly includeEmail: boolean;
}

export interface IdJagConfig {
  readonly ttl: number;
  readonly audiences: readonly IdJagAudience[];
}

export interface IdJagDeps {
  readonly keys: Pick<KeyRing, 'signer'>;
  readonly clients: Pick<ClientStore, 'get'>;
  readonly users: Pick<UserStore, 'get'>;
  readonly subjects: UserSubjects;
  readonly random: Random;
  readonly events: EventPublisher;
  readonly tenantId: TenantId;
  readonly config: { readonly issuer: string; readonly idJag: IdJagConfig; readonly tokens: { readonly idTokenSigningAlg: SigningAlg } };
}

const refused = (description: string, detail?: string) => OAuthError.invalidRequest(description, detail);

/**
 * Issues Identity Assertion JWT Authorization Grants (the IdP side of
 * draft-ietf-oauth-identity-assertion-authz-grant): a client trades one of our ID tokens issued to
 * it for a short-lived JWT addressed to another authorization server (`audience`, its RFC 8414
 * issuer), which that server takes as an RFC 7523 JWT bearer grant. Which clients may ask for
 * which audience, the scopes and resources they may name, and the client id at that server are
 * configuration (`idJag.audiences`, docs/token-exchange.md). Null when no audience is configured:
 * the requested type is then simply unsupported.
 */
export function createIdJagProfile(deps: IdJagDeps): ExchangeProfile | null {
  const { audiences, ttl } = deps.config.idJag;
  if (audiences.length === 0) return null;
  const byIssuer = new Map(audiences.map((a) => [a.issuer, a]));
  const id = createRandomIds(deps.random);
  return {
    tokenType: ID_JAG_TOKEN_TYPE,
    // §4.3: "Implementations of this specification MUST accept Identity Assertions. They MAY
    // additionally accept Refresh Tokens": ID tokens only here (docs/token-exchange.md says why).
    subjectTokenTypes: [ID_TOKEN_TYPE],
    params: [],
    async handle({ client, params, audiences: requested, resources, now, readSubject }) {
      // §4.3: actor_token processing is outside the draft's scope; none is taken rather than ignored.
      if (params['actor_token'] !== undefined) throw refused('an actor_token is not accepted for an ID-JAG');
      // §4.3 audience: "REQUIRED - The identifier of the Resource Authorization Server".
      if (requested.length === 0) throw refused('audience is required for an ID-JAG (the resource authorization server issuer)');
      // RFC 8693 §2.2.2 invalid_target: one ID-JAG names one resource authorization server (§3.1 aud).
      if (requested.length > 1) throw OAuthError.invalidTarget('an ID-JAG is issued for exactly one audience');
      const target = byIssuer.get(requested[0]!);
      if (!target || !target.clients.includes(client.clientId)) {
        throw OAuthError.invalidTarget('the requested audience is not allowed for this client', `id-jag audience ${requested[0]!.slice(0, 200)}`);
      }
      // §4.3.3: "If resource is present, the IdP MUST process it according to Section 2 of [RFC8707]
      // and evaluate policy": only the audience's listed resources.
      for (const r of resources) {
        if (!target.resources.includes(r))
          throw OAuthError.invalidTarget('the requested resource is not allowed for this audience', `resource ${r.slice(0, 200)}`);
      }
      // §4.3.3: scope "MUST process it according to Section 3.3 of [RFC6749]": never beyond policy.
      const scope = parseScope(params['scope']);
      if (scope === null) throw OAuthError.invalidScope('scope is malformed');
      const beyond = scope.filter((s) => !target.scopes.includes(s));
      if (beyond.length) throw OAuthError.invalidScope('the requested scope exceeds what this audience allows', `scopes ${beyond.join(' ').slice(0, 200)}`);

      const subject = await readSubject();
      // §4.3.3: "MUST validate that the audience of the assertion (e.g. the aud claim of the ID
      // Token ...) matches the client_id of the client authentication of the request."
      if (subject.clientId !== client.clientId || !subject.audience.includes(client.clientId)) {
        throw refused('the ID token was not issued to this client');
      }
      const userId = tokenUserId(subject, deps.subjects);
      if (!userId) throw refused('the ID token does not name a user this server can find');

      // §5: the `sub` must be the one "it would have included in an ID Token intended for the
      // Resource Authorization Server": that server's own RP registration here when configured.
      let sub = userId;
      if (target.ssoClientId !== undefined) {
        const rp = await deps.clients.get(deps.tenantId, target.ssoClientId);
        if (!rp) throw OAuthError.invalidTarget('the requested audience is not available', `idJag ssoClientId ${target.ssoClientId} not found`);
        sub = deps.subjects.forToken(rp, userId).subject;
      }
      // The ID-JAG never outlives the ID token it came from.
      const exp = Math.min(now + ttl, subject.expiresAt);
      const jti = id(18);
      const payload: Record<string, unknown> = {
        iss: deps.config.issuer,
        sub,
        aud: target.issuer,
        // §3.1 client_id: "The client identifier ... at the Resource Authorization Server" (§5 mapping).
        client_id: target.clientIds[client.clientId] ?? client.clientId,
        jti,
        iat: now,
        exp,
      };
      if (scope.length) payload.scope = formatScope(scope);
      if (resources.length) payload.resource = resources.length === 1 ? resources[0] : [...resources];
      for (const k of ['auth_time', 'acr', 'amr'] as const) if (subject.claims[k] !== undefined) payload[k] = subject.claims[k];
      if (target.includeEmail) {
        const user = await deps.users.get(deps.tenantId, userId);
        if (user?.claims.email && user.claims.email_verified === true) payload.email = user.claims.email;
      }
      const token = await deps.keys.signer(deps.config.tokens.idTokenSigningAlg).signAsync(payload, ID_JAG_TYP);
      publishProfileExchange(deps.events, deps.tenantId, {
        client,
        subject,
        audience: target.issuer,
        scope: formatScope(scope),
        jti,
        issuedTokenType: ID_JAG_TOKEN_TYPE,
      });
      // §4.3.4: token_type "N_A (because this is not an OAuth access token)"; refresh_token
      // "SHOULD NOT be used".
      return {
        access_token: token,
        issued_token_type: ID_JAG_TOKEN_TYPE,
        token_type: 'N_A',
        expires_in: exp - now,
        ...(scope.length ? { scope: formatScope(scope) } : {}),
      };
    },
  };
}
