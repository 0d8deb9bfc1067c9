import { OAuthError } from '../../errors.ts';
import { parseScope } from '../../model/scope.ts';
import type { TenantId } from '../../model/tenant.ts';
import type { Clock } from '../../ports/clock.ts';
import type { ReplayCache } from '../../ports/replay-cache.ts';
import { isAdminScope } from '../../tokens/admin-scopes.ts';
import { FOREIGN_SUBJECT_CLAIM, foreignSubjectClaim } from '../../tokens/foreign-subject.ts';
import type { AccessTokenIssuer } from '../../tokens/issue-access-token.ts';
import type { UserSubjects } from '../../tokens/user-subject.ts';
import { mapSubject, type SubjectMappingDeps } from '../../trusted-issuers/subject-mapping.ts';
import type { TrustedIssuerRegistry } from '../../trusted-issuers/trusted-issuer.ts';
import { ExternalJwtRefusal, verifyExternalJwt } from '../../trusted-issuers/verify-external-jwt.ts';
import type { TokenGrant } from '../types.ts';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface JwtBearerDeps extends SubjectMappingDeps {
  readonly accessTokens: AccessTokenIssuer;
  readonly subjects: UserSubjects;
  readonly replay: ReplayCache;
  readonly trustedIssuers: TrustedIssuerRegistry;
  readonly clock: Clock;
  readonly tenantId: TenantId;
  readonly config: {
    readonly issuer: string;
    readonly clientAuth: { readonly clockSkew: number };
    readonly resources: readonly { readonly identifier: string }[];
  };
}

/** Sign-in claims an ID-JAG carries over to the access token (draft §3: auth_time, acr, amr). */
const SIGN_IN_CLAIMS = ['auth_time', 'acr', 'amr'] as const;

const strings = (v: unknown): string[] | null =>
  typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;

/**
 * RFC 7523 §2.1: the JWT bearer authorization grant, for JWTs of trusted external issuers
 * (config `trustedIssuers`, docs/jwt-bearer.md), and draft-ietf-oauth-identity-assertion-authz-
 * grant (ID-JAG) through it. Offered only when some registry entry allows `jwt-bearer` or `id-jag`
 * (null otherwise, so discovery does not list it, S17). No refresh token: the client presents a
 * new assertion, which the issuer can refuse once the user's access ends.
 */
export function createJwtBearerGrant(deps: JwtBearerDeps): TokenGrant | null {
  if (!deps.trustedIssuers.allows('jwt-bearer') && !deps.trustedIssuers.allows('id-jag')) return null;
  const { issuer } = deps.config;
  const tokenEndpoint = `${issuer.replace(/\/$/, '')}/token`;
  const skew = deps.config.clientAuth.clockSkew;
  const registered = new Set(deps.config.resources.map((r) => r.identifier));

  return {
    type: JWT_BEARER_GRANT,
    // RFC 7523 §2.1: assertion; RFC 6749 §3.3 scope; RFC 8707 resource (repeatable by default).
    params: ['assertion', 'scope'],
    // RFC 7523 §3.1 makes client authentication optional; Gatehouse requires it (docs/jwt-bearer.md):
    // every entry names the clients that may present its JWTs.
    allowsPublicClients: false,
    async handle({ client, params, resources, dpopJkt }) {
      // RFC 7523 §2.1: "The value of the "assertion" parameter MUST contain a single JWT."
      if (!params.assertion) throw OAuthError.invalidRequest('assertion is required');
      const nowMs = deps.clock.now();
      let verified: Awaited<ReturnType<typeof verifyExternalJwt>>;
      let mapped: Awaited<ReturnType<typeof mapSubject>>;
      try {
        verified = await verifyExternalJwt(deps.trustedIssuers, {
          jwt: params.assertion,
          purpose: 'jwt-bearer',
          clientId: client.clientId,
          nowMs,
          clockSkew: skew,
          issuer,
          tokenEndpoint,
        });
        const { payload, use } = verified;
        // RFC 7523 §3 item 7 makes jti optional; Gatehouse requires it and spends it once (below).
        if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256)
          throw new ExternalJwtRefusal("the JWT's jti claim is missing or invalid");
        if (use === 'id-jag') {
          // draft-ietf-oauth-identity-assertion-authz-grant §3 client_id: "The client identifier of
          // the OAuth client at the Resource Authorization Server"; it must be the authenticated one.
          if (payload.client_id !== client.clientId) throw new ExternalJwtRefusal("the ID-JAG's client_id is not the authenticated client");
        }
        mapped = await mapSubject(deps, verified.entry, payload);
      } catch (e) {
        // RFC 7523 §3.1: "If the JWT is not valid, ... the authorization server constructs an error
        // response as defined in [OAuth2]. The value of the "error" parameter MUST be the
        // "invalid_grant" error code."
        if (e instanceof ExternalJwtRefusal) throw OAuthError.invalidGrant(e.description, e.detail);
        throw e;
      }
      const { payload, use, entry } = verified;

      // Scope and resources: an ID-JAG's own scope and resource bound what the client gets.
      // Admin scopes (issue #11) only for a mapped local user, whose role the admin API then
      // weighs, and only from an issuer the operator opted in (`adminScopes`): an external
      // subject alone never gets an admin token.
      let allowed: readonly string[] = mapped.userId && verified.entry.adminScopes ? client.scopes : client.scopes.filter((s) => !isAdminScope(s));
      let targets = resources;
      /** An ID-JAG's scope, when it names one: the token gets no scope beyond it. */
      let jagScope: string[] | undefined;
      if (use === 'id-jag') {
        const parsed = typeof payload.scope === 'string' ? parseScope(payload.scope) : undefined;
        if (parsed === null) throw OAuthError.invalidGrant("the ID-JAG's scope claim is malformed");
        jagScope = parsed;
        // A `scope` parameter must be within the ID-JAG's scope and the client's (decideScope);
        // without one the token gets their intersection, RFC 6749 §3.3: the AS "MAY fully or
        // partially ignore the scope requested by the client" and issues fewer than the ID-JAG names.
        if (parsed) allowed = allowed.filter((s) => parsed.includes(s));
        const jagResources = payload.resource === undefined ? null : strings(payload.resource);
        if (payload.resource !== undefined && jagResources === null) throw OAuthError.invalidGrant("the ID-JAG's resource claim is malformed");
        if (jagResources) {
          // The ID-JAG's resource becomes the token's audience: it must be one we know.
          for (const r of jagResources)
            if (!registered.has(r)) throw OAuthError.invalidTarget("the ID-JAG's resource is not a registered resource", `resource ${r.slice(0, 200)}`);
          for (const r of resources) if (!jagResources.includes(r)) throw OAuthError.invalidTarget('the requested resource is not one the ID-JAG names');
          if (resources.length === 0) targets = jagResources;
        }
      }
      const plan = deps.accessTokens.plan(client, params.scope, targets, allowed);
      // RFC 6749 §3.3 / §5.2 invalid_scope: an ID-JAG granting scopes of which this client may have
      // none (or none its resource accepts) yields no token rather than one with no scope at all.
      if (jagScope?.length && !params.scope && plan.scope.length === 0) {
        throw OAuthError.invalidScope("none of the ID-JAG's scopes is allowed for this client");
      }

      // RFC 7523 §3 item 7: "The authorization server MAY ensure that JWTs are not replayed by
      // maintaining the set of used "jti" values for the length of time for which the JWT would
      // be considered valid". Spent after every check, keyed by issuer; a store failure refuses.
      let fresh: boolean;
      try {
        fresh = await deps.replay.useOnce(`${deps.tenantId}:jwt-bearer:${entry.issuer}:${payload.jti as string}`, payload.exp + skew);
      } catch (e) {
        throw new OAuthError('temporarily_unavailable', 'the assertion could not be checked for replay; try again', {
          detail: e instanceof Error ? e.message : String(e),
        });
      }
      if (!fresh) throw OAuthError.invalidGrant('the assertion was already used (jti replayed)', `iss ${entry.issuer}`);

      const claims: Record<string, unknown> = { ...mapped.copied };
      if (use === 'id-jag') for (const k of SIGN_IN_CLAIMS) if (payload[k] !== undefined) claims[k] = payload[k];
      let subject = mapped.externalSubject;
      // `auth_time` marks a token as a local user's (token-principals.ts: a public `sub` is then
      // read as a user id): without a mapped user it is never carried, so an external `sub` can
      // never pass for one of our users; and RFC 9493 `sub_id` names its issuer, so an exchange or
      // a transaction token made from this token later keeps it in that issuer's namespace.
      if (!mapped.userId) {
        delete claims.auth_time;
        claims[FOREIGN_SUBJECT_CLAIM] = foreignSubjectClaim(entry.issuer, subject);
      } else {
        // The `sub` this client sees for the user (public or pairwise), with its sealed id, so
        // introspection and revocation know the user (a disabled user's token is inactive).
        const mine = deps.subjects.forToken(client, mapped.userId);
        subject = mine.subject;
        Object.assign(claims, mine.claims);
        if (typeof claims.auth_time !== 'number') claims.auth_time = payload.iat;
      }
      // RFC 9449 §6: a DPoP proof binds the token like every grant's.
      const cnf = dpopJkt ? { jkt: dpopJkt } : null;
      const issued = await deps.accessTokens.issue({ plan, grantType: JWT_BEARER_GRANT, subject, userId: mapped.userId, cnf, claims });
      return {
        access_token: issued.token,
        token_type: cnf ? 'DPoP' : 'Bearer',
        expires_in: issued.expiresIn,
        ...(issued.scope ? { scope: issued.scope } : {}),
      };
    },
  };
}
