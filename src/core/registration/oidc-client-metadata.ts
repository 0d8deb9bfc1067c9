import { OAuthError } from '../errors.ts';
import type { MetadataPolicy } from './client-metadata.ts';
import { redirectSector } from '../id-token/subject.ts';
import { checkRedirectUri, hasSharedHost, isLoopbackHttp, type ApplicationType } from './redirect-uris.ts';

const bad = (d: string) => OAuthError.invalidClientMetadata(d);

/** What the OIDC checks need from the rest of the (already validated) metadata. */
export interface OidcMetadataContext {
  readonly policy: MetadataPolicy;
  readonly applicationType: ApplicationType;
  readonly redirectUris: readonly string[];
  readonly confidential: boolean;
  readonly hasKeys: boolean;
}

type Raw = Readonly<Record<string, unknown>>;

function optBool(raw: Raw, name: string): boolean | undefined {
  const v = raw[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw bad(`${name} must be true or false`);
  return v;
}

function optStr(raw: Raw, name: string): string | undefined {
  const v = raw[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 2000) throw bad(`${name} must be a non-empty string`);
  return v;
}

function parse(name: string, v: string): URL {
  try {
    return new URL(v);
  } catch {
    throw bad(`${name} must be an absolute URL`);
  }
}

/**
 * Back-Channel Logout §2.2 / Front-Channel Logout §2: the logout URI "SHOULD use the https scheme
 * ...; however, it MAY use the http scheme, provided that the Client Type is confidential ... and
 * provided the OP allows the use of http RP URIs" — we allow http only for loopback, only in
 * development. "The URI MUST NOT include a fragment component."
 */
function logoutUri(raw: Raw, name: string, ctx: OidcMetadataContext): string | undefined {
  const v = optStr(raw, name);
  if (v === undefined) return undefined;
  const u = parse(name, v);
  if (u.hash || v.includes('#')) throw bad(`${name} must not contain a fragment`);
  if (u.username || u.password) throw bad(`${name} must not contain user credentials`);
  if (u.protocol === 'https:') return v;
  if (ctx.policy.loopbackHttpLogoutUris && ctx.confidential && isLoopbackHttp(u)) return v;
  throw bad(`${name} must be an https URL${ctx.policy.loopbackHttpLogoutUris ? ' (http is allowed only for loopback addresses of confidential clients)' : ''}`);
}

/** RP-Initiated Logout §3.1: post_logout_redirect_uris follow the redirect_uri rules. */
function postLogoutRedirectUris(raw: Raw, ctx: OidcMetadataContext): string[] | undefined {
  const v = raw['post_logout_redirect_uris'];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 2000)) {
    throw bad('post_logout_redirect_uris must be an array of non-empty strings');
  }
  if (v.length > 100) throw bad('post_logout_redirect_uris has more than 100 entries');
  return [...new Set(v as string[])].map((uri) => {
    try {
      return checkRedirectUri(uri, ctx.applicationType);
    } catch (e) {
      if (e instanceof OAuthError) throw bad(`post_logout_${e.description ?? 'redirect_uri is invalid'}`);
      throw e;
    }
  });
}

/**
 * OpenID Connect client metadata (OIDC Registration §2, the logout specifications, RFC 9126),
 * validated and returned under the wire names for `Client.metadata` (read back through
 * `oidcMetadata` in src/core/model/client-oidc.ts). Absent members are left out.
 */
export function checkOidcMetadata(raw: Raw, ctx: OidcMetadataContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (k: string, v: unknown) => {
    if (v !== undefined) out[k] = v;
  };
  set('post_logout_redirect_uris', postLogoutRedirectUris(raw, ctx));
  set('backchannel_logout_uri', logoutUri(raw, 'backchannel_logout_uri', ctx));
  set('backchannel_logout_session_required', optBool(raw, 'backchannel_logout_session_required'));
  set('frontchannel_logout_uri', logoutUri(raw, 'frontchannel_logout_uri', ctx));
  set('frontchannel_logout_session_required', optBool(raw, 'frontchannel_logout_session_required'));

  const idAlg = optStr(raw, 'id_token_signed_response_alg');
  // OIDC Registration §2: "The value none MUST NOT be used as the ID Token alg value unless the
  // Client uses only Response Types that return no ID Token from the Authorization Endpoint" —
  // Gatehouse never issues unsigned ID tokens.
  if (idAlg === 'none') throw bad('id_token_signed_response_alg none is not allowed: ID tokens are always signed');
  if (idAlg !== undefined && !ctx.policy.idTokenAlgs.includes(idAlg)) {
    throw bad(`id_token_signed_response_alg must be one of ${ctx.policy.idTokenAlgs.join(', ')}`);
  }
  set('id_token_signed_response_alg', idAlg);

  const subjectType = optStr(raw, 'subject_type');
  if (subjectType !== undefined && !(ctx.policy.subjectTypes as readonly string[]).includes(subjectType)) {
    throw bad(`subject_type must be one of ${ctx.policy.subjectTypes.join(', ')}`);
  }
  set('subject_type', subjectType);
  const sector = optStr(raw, 'sector_identifier_uri');
  // OIDC Registration §2: sector_identifier_uri is a "URL using the https scheme".
  if (sector !== undefined && (parse('sector_identifier_uri', sector).protocol !== 'https:' || sector.includes('#'))) {
    throw bad('sector_identifier_uri must be an https URL without a fragment');
  }
  // OIDC Registration §5: the OP verifies a sector_identifier_uri by fetching it and checking that
  // every redirect URI is listed. Gatehouse does not fetch client-hosted documents; a dynamically
  // registered client (untrusted, `policy.firstParty` false) may therefore only name a sector on the
  // host of all its redirect URIs, or it could claim another client's sector and receive the same
  // pairwise subjects (cross-client correlation). Operators (CLI) are trusted to group hosts.
  if (sector !== undefined && !ctx.policy.firstParty) {
    // A loopback host or private-use scheme is shared by every native app (id-token/subject.ts):
    // a sector "on the host of the redirect URIs" would then be every such app's sector, and the
    // client would receive the same pairwise subjects as all of them. Their sector is the client
    // id; only the operator may group native clients under one sector.
    if (ctx.redirectUris.some(hasSharedHost)) {
      throw bad(
        'sector_identifier_uri cannot be registered for loopback or private-use redirect URIs (their sector is the client); ask the operator to register a shared sector',
      );
    }
    const sectorHost = parse('sector_identifier_uri', sector).host;
    if (
      ctx.redirectUris.some((u) => {
        try {
          return new URL(u).host !== sectorHost;
        } catch {
          return true;
        }
      })
    ) {
      throw bad('sector_identifier_uri must be on the host of every redirect URI (it is not fetched); ask the operator to register a shared sector');
    }
  }
  set('sector_identifier_uri', sector);
  // OIDC Core §8.1: "If there are multiple hostnames in the registered redirect_uris, the Client
  // MUST register a sector_identifier_uri." (Only-native redirect URIs use the client id instead.)
  const fromRedirects = redirectSector(ctx.redirectUris);
  if (subjectType === 'pairwise' && sector === undefined && fromRedirects.kind === 'ambiguous' && fromRedirects.hosts > 1) {
    throw bad('a pairwise client with redirect URIs on several hosts must register a sector_identifier_uri');
  }

  const reqAlg = optStr(raw, 'request_object_signing_alg');
  if (reqAlg !== undefined && !ctx.policy.requestObjectAlgs.includes(reqAlg)) {
    throw bad(`request_object_signing_alg must be one of ${ctx.policy.requestObjectAlgs.join(', ') || '(request objects are not accepted)'}`);
  }
  // RFC 9101 §10.2: a signed request object is verified with the client's registered keys.
  if (reqAlg !== undefined && reqAlg !== 'none' && !ctx.hasKeys) throw bad('request_object_signing_alg needs jwks or jwks_uri');
  set('request_object_signing_alg', reqAlg);

  set('require_pushed_authorization_requests', optBool(raw, 'require_pushed_authorization_requests'));
  const maxAge = raw['default_max_age'];
  if (maxAge !== undefined && maxAge !== null) {
    // OIDC Registration §2: "Default Maximum Authentication Age ... in seconds".
    if (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 0 || maxAge > 31_536_000) {
      throw bad('default_max_age must be a whole number of seconds from 0 to 31536000');
    }
    out['default_max_age'] = maxAge;
  }
  set('require_auth_time', optBool(raw, 'require_auth_time'));

  // Gatehouse extension: issuer-only assertion audiences for this client. It only tightens what
  // the client itself may send, so dynamic registration may set it too.
  set('strict_assertion_audience', optBool(raw, 'strict_assertion_audience'));
  // RFC 9449 §5.2: dpop_bound_access_tokens, "If omitted, the default value is false." It only
  // tightens what the client itself must send, so dynamic registration may set it too.
  set('dpop_bound_access_tokens', optBool(raw, 'dpop_bound_access_tokens'));

  const firstParty = optBool(raw, 'first_party');
  if (firstParty === true && !ctx.policy.firstParty) throw bad('first_party can be set only by the operator');
  if (firstParty !== undefined && ctx.policy.firstParty) out['first_party'] = firstParty;
  return out;
}
