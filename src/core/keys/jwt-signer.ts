import { constants, sign, verify, type KeyObject, type SignKeyObjectInput, type VerifyKeyObjectInput } from 'node:crypto';
import type { SigningAlg } from '../model/key.ts';
import type { JwtSigner, VerifiedJwt } from './key-ring.ts';

/**
 * Compact JWS (RFC 7515 §7.1) with node:crypto `sign()` on a KeyObject made once per key:
 * several times faster than WebCrypto (an ES256 signature is ~50 µs here vs ~230 µs).
 */

interface AlgSpec {
  /** Digest for node:crypto sign/verify; null for EdDSA (the algorithm hashes internally). */
  readonly digest: 'sha256' | null;
  readonly options: Omit<SignKeyObjectInput, 'key'>;
  /** Exact signature length in bytes, when fixed (ES256: 64, EdDSA: 64). */
  readonly sigLength?: number;
  /** signAsync signs on the libuv thread pool: RS256 ~313 µs, ES256 ~36 µs on the bench VM, both
   *  worth more than the hop (the event loop is the bottleneck, the second core was idle). */
  readonly offload?: true;
}

const SPECS: Readonly<Record<SigningAlg, AlgSpec>> = {
  RS256: { digest: 'sha256', options: { padding: constants.RSA_PKCS1_PADDING }, offload: true },
  // RFC 7518 §3.5: "The size of the salt value is the same size as the hash function output."
  PS256: { digest: 'sha256', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, offload: true },
  // RFC 7518 §3.4: the signature is R || S, each 32 octets (not DER).
  ES256: { digest: 'sha256', options: { dsaEncoding: 'ieee-p1363' }, sigLength: 64, offload: true },
  EdDSA: { digest: null, options: {}, sigLength: 64 },
};

const b64u = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');

/** A signer for one private key. The base64url header is cached per `typ`. */
export function createJwtSigner(kid: string, alg: SigningAlg, privateKey: KeyObject): JwtSigner {
  const spec = SPECS[alg];
  const keyInput: SignKeyObjectInput = { key: privateKey, ...spec.options };
  const headers = new Map<string, string>();
  const signingInput = (payload: Readonly<Record<string, unknown>>, typ: string): string => {
    let header = headers.get(typ);
    if (header === undefined) {
      header = b64u(JSON.stringify({ alg, kid, typ }));
      headers.set(typ, header);
    }
    return `${header}.${b64u(JSON.stringify(payload))}`;
  };
  const signSync = (payload: Readonly<Record<string, unknown>>, typ = 'JWT'): string => {
    const input = signingInput(payload, typ);
    return `${input}.${sign(spec.digest, Buffer.from(input, 'utf8'), keyInput).toString('base64url')}`;
  };
  return {
    kid,
    alg,
    sign: signSync,
    signAsync(payload, typ = 'JWT') {
      if (!spec.offload) {
        try {
          return Promise.resolve(signSync(payload, typ));
        } catch (e) {
          return Promise.reject(e);
        }
      }
      const input = signingInput(payload, typ);
      // node:crypto sign() with a callback runs the signature on the libuv thread pool.
      return new Promise((resolve, reject) => {
        sign(spec.digest, Buffer.from(input, 'utf8'), keyInput, (err, sig) => {
          if (err) reject(err);
          else resolve(`${input}.${sig.toString('base64url')}`);
        });
      });
    },
  };
}

/** A key a token may be verified with: its published alg and its public KeyObject. */
export interface VerificationKey {
  readonly alg: SigningAlg;
  readonly publicKey: KeyObject;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/** Decodes a base64url segment strictly: canonical alphabet, no padding, round-trips exactly. */
function decodeSegment(s: string): Buffer | null {
  if (!B64URL.test(s)) return null;
  const buf = Buffer.from(s, 'base64url');
  return buf.toString('base64url') === s ? buf : null;
}

function parseObject(buf: Buffer): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(buf.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A compact JWS parsed and matched to one of our keys, its signature not yet checked. */
interface PreparedJws {
  readonly header: Record<string, unknown>;
  readonly payloadBuf: Buffer;
  readonly input: Buffer;
  readonly sig: Buffer;
  readonly spec: AlgSpec;
  readonly keyInput: VerifyKeyObjectInput;
}

/** Everything before the signature check: shape, header, key and algorithm. Null on any problem. */
function prepareJws(token: string, findKey: (kid: string) => VerificationKey | undefined): PreparedJws | null {
  if (typeof token !== 'string' || token.length > 16_384) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  const headerBuf = decodeSegment(h);
  const payloadBuf = decodeSegment(p);
  const sig = decodeSegment(s);
  if (!headerBuf || !payloadBuf || !sig) return null;
  const header = parseObject(headerBuf);
  if (!header || typeof header.kid !== 'string' || typeof header.alg !== 'string') return null;
  // RFC 7515 §4.1.11: "If any of the listed extension Header Parameters are not understood and
  // supported by the recipient, then the JWS is invalid." We support none.
  if ('crit' in header) return null;
  const key = findKey(header.kid);
  // RFC 8725 §3.1: "Libraries MUST enable the caller to specify a supported set of algorithms":
  // the only acceptable alg is the one bound to the key (this also refuses `none`).
  if (!key || header.alg !== key.alg) return null;
  const spec = SPECS[key.alg];
  if (spec.sigLength !== undefined && sig.length !== spec.sigLength) return null;
  return { header, payloadBuf, input: Buffer.from(`${h}.${p}`, 'utf8'), sig, spec, keyInput: { key: key.publicKey, ...spec.options } };
}

function verified(j: PreparedJws, ok: boolean): VerifiedJwt | null {
  if (!ok) return null;
  const payload = parseObject(j.payloadBuf);
  return payload ? { header: j.header, payload } : null;
}

/**
 * Verifies a compact JWS signed by one of our keys. Returns null on any problem; never throws
 * for bad input. Checks only the signature: claims (exp, iss, aud) are the caller's business.
 */
export function verifyJws(token: string, findKey: (kid: string) => VerificationKey | undefined): VerifiedJwt | null {
  const j = prepareJws(token, findKey);
  return j ? verifyInline(j) : null;
}

function verifyInline(j: PreparedJws): VerifiedJwt | null {
  try {
    return verified(j, verify(j.spec.digest, j.input, j.keyInput, j.sig));
  } catch {
    return null;
  }
}

/**
 * {@link verifyJws} with the signature checked on the libuv thread pool (the callback form of
 * `crypto.verify`) for RS256, PS256 and ES256: an ES256 verification costs about 68 µs of CPU,
 * 4 µs of it left on the event loop. It was 28 % of the event loop in a token exchange, whose
 * subject token is verified on every request (docs/performance.md). EdDSA stays inline.
 */
export function verifyJwsAsync(token: string, findKey: (kid: string) => VerificationKey | undefined): Promise<VerifiedJwt | null> {
  const j = prepareJws(token, findKey);
  if (!j) return Promise.resolve(null);
  if (!j.spec.offload) return Promise.resolve(verifyInline(j));
  return new Promise((resolve) => {
    try {
      verify(j.spec.digest, j.input, j.keyInput, j.sig, (err, ok) => resolve(err ? null : verified(j, ok)));
    } catch {
      resolve(null);
    }
  });
}
