/**
 * Transaction tokens for workloads (draft-ietf-oauth-transaction-tokens §12): a workload reads
 * the `Txn-Token` header and verifies the token before it trusts the transaction context —
 * signature against the Transaction Token Service's JWKS, `typ: txntoken+jwt`, `aud` = its trust
 * domain, `exp`/`iat`, and the claims §9.2 requires. Self-contained like the rest of the kit.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { DEFAULT_ACCESS_TOKEN_ALGORITHMS } from './index.ts';

/** §12.1: the HTTP header that carries the token ("MUST use the HTTP Header Txn-Token"). */
export const TXN_TOKEN_HEADER = 'txn-token';
/** §9.1: "The typ Header Parameter MUST be present and MUST have the value txntoken+jwt." */
export const TXN_TOKEN_TYP = 'txntoken+jwt';

export interface TransactionTokenVerifierOptions {
  /** §12.2: "Verify the aud claim identifies the Trust Domain of the workload." */
  readonly trustDomain: string;
  /** The TTS's key set: its JWKS URL (e.g. Gatehouse's `jwks_uri`) or a jose key resolver. */
  readonly jwks: string | URL | JWTVerifyGetKey;
  /** When set, `iss` must be this value (§9.2 makes `iss` optional; Gatehouse sets it to its issuer). */
  readonly issuer?: string;
  /** Accepted JWS algorithms (default: the asymmetric set; never `none` or HS*). */
  readonly algorithms?: readonly string[];
  /** Clock skew tolerated for `exp` and `iat`, in seconds (default 5). */
  readonly clockToleranceSeconds?: number;
  /** Refuse tokens issued longer ago than this, in seconds (default: none; `exp` alone decides). */
  readonly maxAgeSeconds?: number;
  /** The clock, in milliseconds since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** What a verified transaction token says. */
export interface VerifiedTransactionToken {
  readonly token: string;
  /** §9.2 `txn`: the transaction id (log it, never the token: §15.2). */
  readonly txn: string;
  readonly subject: string;
  /** §9.2.1 `scope`: the purpose of the transaction. */
  readonly scopes: string[];
  /** §9.2 `req_wl`: the requesting workload(s), in order. */
  readonly requestingWorkloads: string[];
  /** §9.2.2 `rctx` (request context) and §9.2.3 `tctx` (transaction context); `{}` when absent. */
  readonly requestContext: Record<string, unknown>;
  readonly transactionContext: Record<string, unknown>;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly claims: Record<string, unknown>;
}

/** A refused transaction token: answer 401 (`status`), never trust anything in it. */
export class TransactionTokenError extends Error {
  readonly status = 401;
  readonly code = 'invalid_token';
  readonly description: string;
  constructor(description: string) {
    super(description);
    this.description = description;
    this.name = 'TransactionTokenError';
  }
}

export interface TransactionTokenVerifier {
  readonly trustDomain: string;
  /** Verifies one compact transaction token. Throws TransactionTokenError. */
  verify(token: string): Promise<VerifiedTransactionToken>;
  /** Reads the `Txn-Token` header of a web `Request` (or a Node/Fastify header record) and verifies it. */
  verifyRequest(request: Request | { readonly headers: Headers | Readonly<Record<string, string | string[] | undefined>> }): Promise<VerifiedTransactionToken>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function createTransactionTokenVerifier(opts: TransactionTokenVerifierOptions): TransactionTokenVerifier {
  const algorithms = [...(opts.algorithms ?? DEFAULT_ACCESS_TOKEN_ALGORITHMS)];
  if (algorithms.some((a) => a === 'none' || /^HS/.test(a))) throw new Error('transaction-token algorithms must be asymmetric (never none or HS*)');
  const keys: JWTVerifyGetKey = typeof opts.jwks === 'function' ? opts.jwks : createRemoteJWKSet(new URL(opts.jwks));
  const leeway = opts.clockToleranceSeconds ?? 5;
  const now = opts.now ?? Date.now;

  async function verify(token: string): Promise<VerifiedTransactionToken> {
    if (typeof token !== 'string' || token.length > 65_536 || !JWS_COMPACT.test(token)) throw new TransactionTokenError('the transaction token is not a JWS');
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new TransactionTokenError('the transaction token is not a JWS');
    }
    // RFC 8725 §3.1: the algorithm comes from an allow-list, never from the token.
    if (typeof alg !== 'string' || !algorithms.includes(alg)) throw new TransactionTokenError('the transaction token alg is not accepted');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        typ: TXN_TOKEN_TYP, // §9.1 (RFC 8725 §3.11: typed JWTs keep an access token from passing)
        audience: opts.trustDomain, // §9.2 aud / §12.2
        algorithms,
        clockTolerance: leeway, // §12.2 "Verify the Txn-Token is not expired"
        requiredClaims: ['iat', 'exp', 'aud', 'sub'],
        currentDate: new Date(now()),
        ...(opts.issuer !== undefined ? { issuer: opts.issuer } : {}),
        ...(opts.maxAgeSeconds !== undefined ? { maxTokenAge: opts.maxAgeSeconds } : {}),
      }));
    } catch (e) {
      if (e instanceof joseErrors.JOSEError) throw new TransactionTokenError(describe(e));
      throw e;
    }
    const iat = payload.iat as number;
    // An `iat` in the future is a token from a skewed or hostile signer.
    if (iat > now() / 1000 + leeway) throw new TransactionTokenError('the transaction token is not yet valid');
    // §9.2: txn, sub, scope and req_wl are REQUIRED.
    const { txn, sub, scope, req_wl: reqWl } = payload;
    if (typeof txn !== 'string' || txn === '') throw new TransactionTokenError('the transaction token has no txn');
    if (typeof sub !== 'string' || sub === '') throw new TransactionTokenError('the transaction token has no sub');
    if (typeof scope !== 'string' || scope === '') throw new TransactionTokenError('the transaction token has no scope');
    const workloads =
      typeof reqWl === 'string' ? reqWl.split(',') : Array.isArray(reqWl) && reqWl.every((w) => typeof w === 'string') ? (reqWl as string[]) : null;
    if (!workloads || workloads.length === 0 || workloads.some((w) => w === '')) throw new TransactionTokenError('the transaction token has no req_wl');
    for (const k of ['rctx', 'tctx'] as const) {
      if (payload[k] !== undefined && !isRecord(payload[k])) throw new TransactionTokenError(`the transaction token ${k} is not an object`);
    }
    return {
      token,
      txn,
      subject: sub,
      scopes: scope.split(' ').filter(Boolean),
      requestingWorkloads: workloads,
      requestContext: (payload.rctx as Record<string, unknown> | undefined) ?? {},
      transactionContext: (payload.tctx as Record<string, unknown> | undefined) ?? {},
      issuedAt: iat,
      expiresAt: payload.exp as number,
      claims: payload,
    };
  }

  return {
    trustDomain: opts.trustDomain,
    verify,
    async verifyRequest(request) {
      const h = request.headers;
      const raw = h instanceof Headers ? h.get(TXN_TOKEN_HEADER) : (h[TXN_TOKEN_HEADER] ?? h['Txn-Token']);
      // §12.1: "The value of this header MUST be exactly one Txn-Token."
      if (raw === undefined || raw === null || raw === '') throw new TransactionTokenError('no Txn-Token header');
      if (Array.isArray(raw) || raw.includes(',')) throw new TransactionTokenError('the Txn-Token header must carry exactly one token');
      return verify(raw.trim());
    },
  };
}

/** A one-off verification (a string or a request carrying `Txn-Token`) with a verifier made once. */
export async function verifyTransactionToken(
  input: string | Parameters<TransactionTokenVerifier['verifyRequest']>[0],
  verifier: TransactionTokenVerifier,
): Promise<VerifiedTransactionToken> {
  return typeof input === 'string' ? verifier.verify(input) : verifier.verifyRequest(input);
}

function describe(e: InstanceType<typeof joseErrors.JOSEError>): string {
  if (e instanceof joseErrors.JWTExpired) return 'the transaction token has expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return 'the transaction token is not for this trust domain';
    if (e.claim === 'typ') return 'the token is not a transaction token (typ)';
    return `the transaction token ${e.claim} claim is not accepted`;
  }
  if (e instanceof joseErrors.JWSSignatureVerificationFailed || e instanceof joseErrors.JWKSNoMatchingKey)
    return 'the transaction token signature is not valid';
  return 'the transaction token is not valid';
}
