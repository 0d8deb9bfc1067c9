import { isDeepStrictEqual } from 'node:util';
import { OAuthError } from '../../errors.ts';
import type { EventPublisher } from '../../events.ts';
import type { KeyRing } from '../../keys/key-ring.ts';
import type { SigningAlg } from '../../model/key.ts';
import { formatScope, parseScope } from '../../model/scope.ts';
import type { TenantId } from '../../model/tenant.ts';
import type { Random } from '../../ports/random.ts';
import { createRandomIds } from '../../tokens/random-ids.ts';
import { foreignIssuerOf } from '../../tokens/foreign-subject.ts';
import { tokenUserId } from '../../tokens/token-principals.ts';
import type { UserSubjects } from '../../tokens/user-subject.ts';
import type { TokenResponse } from '../types.ts';
import { publishProfileExchange, type ExchangeProfile, type ExchangeProfileRequest } from './exchange-profile.ts';

/** draft-ietf-oauth-transaction-tokens §11.1: the requested (and issued) token type. */
export const TXN_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:txn_token';
/** §9.1: "The typ Header Parameter MUST be present and MUST have the value txntoken+jwt." */
export const TXN_TOKEN_TYP = 'txntoken+jwt';

export interface TransactionTokenConfig {
  readonly trustDomain?: string | undefined;
  readonly ttl: number;
  readonly workloads: readonly string[];
  readonly maxContextBytes: number;
}

export interface TransactionTokenDeps {
  readonly keys: Pick<KeyRing, 'signer' | 'verifyAsync'>;
  readonly subjects: UserSubjects;
  readonly random: Random;
  readonly events: EventPublisher;
  readonly tenantId: TenantId;
  readonly config: {
    readonly issuer: string;
    readonly transactionTokens: TransactionTokenConfig;
    readonly tokens: { readonly accessTokenSigningAlg: SigningAlg };
  };
}

const refused = (description: string, detail?: string) => OAuthError.invalidRequest(description, detail);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The trust-domain `sub` of an external subject without a local user: `<issuer>#<sub>`. */
export const externalSubjectId = (issuer: string, sub: string): string => `${issuer}#${sub}`;

/**
 * §11.1 `request_context` / `request_details`: "a JSON object". Read strictly: at most
 * `maxBytes` bytes of UTF-8, valid JSON, an object (not an array, string or null).
 */
export function parseContextParam(name: string, raw: string | undefined, maxBytes: number): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  if (Buffer.byteLength(raw, 'utf8') > maxBytes) throw refused(`${name} is larger than ${maxBytes} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw refused(`${name} is not valid JSON`);
  }
  if (!isRecord(value)) throw refused(`${name} must be a JSON object`);
  return value;
}

/**
 * Transaction tokens (draft-ietf-oauth-transaction-tokens): this server as the trust domain's
 * Transaction Token Service. An allow-listed workload (`transactionTokens.workloads`) trades an
 * access token of ours (the subject of the transaction) for a short-lived `txntoken+jwt` whose
 * `aud` is the trust domain, `scope` the purpose (within the access token's scope), `rctx` the
 * request context and `tctx` the request details (docs/transaction-tokens.md). Null when no trust
 * domain is configured: the requested type is then simply unsupported.
 */
export function createTransactionTokenProfile(deps: TransactionTokenDeps): ExchangeProfile | null {
  const { trustDomain, ttl, workloads, maxContextBytes } = deps.config.transactionTokens;
  if (trustDomain === undefined) return null;
  const id = createRandomIds(deps.random);
  return {
    tokenType: TXN_TOKEN_TYPE,
    // §11.2: any RFC 8693 type "except the Refresh Token type"; here our access tokens and trusted
    // issuers' JWTs (§13.3: refresh tokens "MUST NOT be used to request transaction tokens"), and
    // a transaction token of ours to replace (§13 "Txn-Token as a subject_token").
    subjectTokenTypes: ['urn:ietf:params:oauth:token-type:access_token', 'urn:ietf:params:oauth:token-type:jwt', TXN_TOKEN_TYPE],
    params: ['request_context', 'request_details'],
    async handle({ client, params, audiences, resources, address, now, readSubject }) {
      // §11.3: the TTS "MUST validate the requesting workload client authentication and determine
      // if that workload is authorized to obtain the Txn-Tokens" (§13.10: be selective).
      if (!workloads.includes(client.clientId)) throw refused('this client may not request transaction tokens', `client ${client.clientId}`);
      if (params['actor_token'] !== undefined) throw refused('an actor_token is not accepted for a transaction token');
      // §11.1 audience: "REQUIRED. The value MUST be set to the Trust Domain name."
      if (audiences.length === 0) throw refused('audience is required: the trust domain');
      if (audiences.length > 1 || audiences[0] !== trustDomain || resources.length > 0) {
        throw OAuthError.invalidTarget('a transaction token is issued for this trust domain only', `audience ${audiences.join(' ').slice(0, 200)}`);
      }
      // §11.1 scope: "REQUIRED ... MUST represent the specific purpose or intent of the transaction."
      if (params['scope'] === undefined || params['scope'] === '') throw refused('scope (the purpose of the transaction) is required');
      const purpose = parseScope(params['scope']);
      if (purpose === null) throw OAuthError.invalidScope('scope is malformed');
      const rctxIn = parseContextParam('request_context', params['request_context'], maxContextBytes);
      // §9.2.2 rctx authn: how the subject authenticated is what this server read from the subject
      // token (its amr), or what a replaced token already asserted; a requester never supplies it,
      // not even the value already there (refused, not dropped: the workload learns it is not its to say).
      if (rctxIn !== undefined && Object.hasOwn(rctxIn, 'authn')) {
        throw refused('request_context may not contain authn: the transaction token service sets it from the subject token');
      }
      const tctxIn = parseContextParam('request_details', params['request_details'], maxContextBytes);

      if (params['subject_token_type'] === TXN_TOKEN_TYPE) {
        return replace({ client, subjectToken: params['subject_token'] ?? '', purpose, rctxIn, tctxIn, now });
      }
      const subject = await readSubject();
      // §13.6: "The TTS MUST ensure that the requested scope of the Txn-Token is equal or less than
      // the scope(s) identified in the subject_token."
      const held = parseScope(subject.scope) ?? [];
      const beyond = purpose.filter((s) => !held.includes(s));
      if (beyond.length) throw OAuthError.invalidScope("the purpose exceeds the subject token's scope", `scopes ${beyond.join(' ').slice(0, 200)}`);

      // §11.3: the sub "MUST ensure the sub value is unique within the Trust Domain": the user id
      // (a pairwise `sub` is mapped back), else the subject token's own `sub` (a client). An
      // external subject with no local user (config trustedIssuers, subjectMapping none) is
      // unique only within its issuer: it is qualified by that issuer, so a trusted issuer can
      // never name a local user (or another issuer's subject) in the trust domain by choosing `sub`.
      // That holds for our own tokens issued for such a subject too (exchanged or from the JWT
      // bearer grant): they name its issuer in `sub_id` (RFC 9493), read here.
      const foreign = foreignIssuerOf(subject);
      const sub = foreign !== undefined ? externalSubjectId(foreign, subject.subject) : (tokenUserId(subject, deps.subjects) ?? subject.subject);
      // §9.2.2 rctx: the requester's context, then what this server knows itself, which wins.
      const rctx: Record<string, unknown> = { ...rctxIn };
      if (address !== undefined) rctx.req_ip = address;
      const amr = subject.claims['amr'];
      if (Array.isArray(amr) && amr.length > 0 && amr.every((m) => typeof m === 'string')) rctx.authn = amr.join(' ');
      // Earlier revisions of the draft carried req_wl inside rctx; kept there too for their verifiers.
      rctx.req_wl = client.clientId;
      const txn = id(18);
      // §6 lets the TTS's policy choose whether a txn token may outlive the presented token; ours
      // is that it never does (docs/transaction-tokens.md#lifetime): the shorter of ttl and the
      // subject token's remaining life.
      const exp = subject.expiresAt === undefined ? now + ttl : Math.min(now + ttl, subject.expiresAt);
      const payload: Record<string, unknown> = {
        iss: deps.config.issuer,
        iat: now,
        exp,
        aud: trustDomain,
        txn,
        sub,
        scope: formatScope(purpose),
        // §9.2 req_wl: "REQUIRED. A string value that identifies the workload that requested the Txn-Token."
        req_wl: client.clientId,
        rctx,
      };
      // §11.3: request_details "SHOULD propagate ... into the claims in the tctx object".
      if (tctxIn !== undefined) payload.tctx = tctxIn;
      // §13.4: "the Txn-Token MUST NOT contain the access token presented": only claims above.
      const token = await deps.keys.signer(deps.config.tokens.accessTokenSigningAlg).signAsync(payload, TXN_TOKEN_TYP);
      publishProfileExchange(deps.events, deps.tenantId, {
        client,
        subject,
        audience: trustDomain,
        scope: formatScope(purpose),
        jti: txn,
        issuedTokenType: TXN_TOKEN_TYPE,
      });
      // §11.4: token_type "MUST be set to N_A"; "MUST NOT include the refresh_token value".
      return { access_token: token, issued_token_type: TXN_TOKEN_TYPE, token_type: 'N_A', expires_in: exp - now };
    },
  };

  /**
   * §13 "Txn-Token as a subject_token": a replacement transaction token for a workload further
   * down the call chain. The replaced token must be one of ours for this trust domain and still
   * valid. `txn`, `sub` and `aud` are kept; the purpose may only narrow; `rctx` and `tctx` members
   * may be added but never changed; the requesting workloads are kept as a chain (`req_wl` becomes
   * an array ending with this workload); the replacement never outlives the token it replaces, so
   * replacing cannot extend a transaction and no replacement count is needed.
   */
  async function replace(r: {
    client: ExchangeProfileRequest['client'];
    subjectToken: string;
    purpose: string[];
    rctxIn: Record<string, unknown> | undefined;
    tctxIn: Record<string, unknown> | undefined;
    now: number;
  }): Promise<TokenResponse> {
    const verified = await deps.keys.verifyAsync(r.subjectToken);
    // §9.1 typ; §12.2: signature, trust domain (aud), not expired; and ours (iss).
    if (!verified || verified.header['typ'] !== TXN_TOKEN_TYP) throw refused('the subject_token is not a transaction token this server issued');
    const old = verified.payload;
    if (old['iss'] !== deps.config.issuer || old['aud'] !== trustDomain) throw refused('the subject_token is not a transaction token of this trust domain');
    const oldExp = old['exp'];
    // "MUST NOT issue a new Txn-Token when the Txn-Token being replaced has expired."
    if (typeof oldExp !== 'number' || !Number.isFinite(oldExp) || oldExp <= r.now) throw refused('the subject_token has expired');
    const { txn, sub, scope } = old;
    if (typeof txn !== 'string' || typeof sub !== 'string' || typeof scope !== 'string') throw refused('the subject_token lacks txn, sub or scope');
    // "MUST NOT enable modification to asserted values that expand the scope of permitted actions."
    const held = parseScope(scope) ?? [];
    const beyond = r.purpose.filter((s) => !held.includes(s));
    if (beyond.length) throw OAuthError.invalidScope("the purpose exceeds the replaced token's scope", `scopes ${beyond.join(' ').slice(0, 200)}`);
    // "MAY enable additional asserted values": new members only; an asserted one stays as it is
    // (compared as JSON values: a nested object sent again in another key order is the same value).
    // rctx.authn is never among them (refused above): the replaced token's, or none, is kept.
    const merge = (name: string, asserted: unknown, added: Record<string, unknown> | undefined) => {
      const out: Record<string, unknown> = isRecord(asserted) ? { ...asserted } : {};
      for (const [k, v] of Object.entries(added ?? {})) {
        if (k in out && !isDeepStrictEqual(out[k], v)) throw refused(`${name} may add members to the replaced token's, not change ${k}`);
        out[k] = v;
      }
      return out;
    };
    // "MUST maintain the Call Chain of workloads that requested the Txn-Token being replaced".
    const before = old['req_wl'];
    const chain = typeof before === 'string' ? [before] : Array.isArray(before) ? before.filter((w): w is string => typeof w === 'string') : [];
    chain.push(r.client.clientId);
    const rctx = merge('request_context', old['rctx'], r.rctxIn);
    rctx.req_wl = chain;
    const tctx = merge('request_details', old['tctx'], r.tctxIn);
    const exp = Math.min(r.now + ttl, oldExp);
    const payload: Record<string, unknown> = {
      iss: deps.config.issuer,
      iat: r.now,
      exp,
      aud: trustDomain,
      txn,
      sub,
      scope: formatScope(r.purpose),
      req_wl: chain,
      rctx,
    };
    if (Object.keys(tctx).length > 0) payload.tctx = tctx;
    const token = await deps.keys.signer(deps.config.tokens.accessTokenSigningAlg).signAsync(payload, TXN_TOKEN_TYP);
    publishProfileExchange(deps.events, deps.tenantId, {
      client: r.client,
      subject: { clientId: chain[0]!, jti: txn },
      audience: trustDomain!,
      scope: formatScope(r.purpose),
      jti: txn,
      issuedTokenType: TXN_TOKEN_TYPE,
    });
    return { access_token: token, issued_token_type: TXN_TOKEN_TYPE, token_type: 'N_A', expires_in: exp - r.now };
  }
}
