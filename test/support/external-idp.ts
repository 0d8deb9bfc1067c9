// An external identity provider played by the test itself: jose keys that sign JWT bearer
// assertions, ID-JAGs and subject tokens, and (optionally) an https JWK Set endpoint on loopback
// (test TLS, reached through `outboundTestCa` and the test servers' `outbound.allowHosts`).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import type { TestTls } from './test-tls.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const ID_JAG_TYP = 'oauth-id-jag+jwt';
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

export interface Idp {
  readonly issuer: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  /** Signs `claims` (iss, iat, exp = iat + 120 and a fresh jti filled in unless given; `undefined` removes one). */
  sign(claims: Record<string, unknown>, header?: { typ?: string; alg?: string; kid?: string }, key?: CryptoKey): Promise<string>;
}

export async function makeIdp(issuer: string, kid: string, alg = 'ES256'): Promise<Idp> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return {
    issuer,
    kid,
    privateKey,
    publicJwk,
    async sign(claims, header = {}, key = privateKey) {
      const now = Math.floor(Date.now() / 1000);
      const full: Record<string, unknown> = { iss: issuer, iat: now, exp: now + 120, jti: randomUUID(), ...claims };
      for (const [k, v] of Object.entries(full)) if (v === undefined) delete full[k];
      return new SignJWT(full as JWTPayload)
        .setProtectedHeader({ alg: header.alg ?? alg, kid: header.kid ?? kid, ...(header.typ ? { typ: header.typ } : {}) })
        .sign(key);
    },
  };
}

/** An unsigned JWT (`alg: none`). */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
}

/** An https server on 127.0.0.1 that serves `jwks` at /jwks.json and counts the fetches. */
export async function serveJwks(tls: TestTls, jwks: () => { keys: JWK[] }): Promise<{ url: string; fetches: () => number; close(): Promise<void> }> {
  let count = 0;
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    if (new URL(req.url ?? '/', 'https://x').pathname !== '/jwks.json') return void res.writeHead(404).end();
    count++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    fetches: () => count,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export type GrantResult = { ok: true; body: oauth.TokenEndpointResponse } | { ok: false; error: string; description: string | undefined; status: number };

/** An RFC 7523 §2.1 grant request driven by oauth4webapi, the client authenticating with client_secret_basic. */
export async function bearerGrant(
  as: oauth.AuthorizationServer,
  c: { client_id: string; client_secret: string },
  params: Record<string, string> | URLSearchParams,
  opts: { grant?: string; DPoP?: oauth.DPoPHandle } = {},
): Promise<GrantResult> {
  const client: oauth.Client = { client_id: c.client_id };
  const res = await oauth.genericTokenEndpointRequest(as, client, oauth.ClientSecretBasic(c.client_secret), opts.grant ?? JWT_BEARER, params, {
    ...INSECURE,
    ...(opts.DPoP ? { DPoP: opts.DPoP } : {}),
  });
  try {
    return { ok: true, body: await oauth.processGenericTokenEndpointResponse(as, client, res) };
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) return { ok: false, error: e.error, description: e.error_description, status: e.status };
    throw e;
  }
}

/** The grant's success body, or a failed assertion naming the error. */
export function ok(r: GrantResult): oauth.TokenEndpointResponse {
  assert.ok(r.ok, `expected success, got ${r.ok ? '' : `${r.status} ${r.error}: ${r.description}`}`);
  return r.body;
}

/** A refusal with `error` (a 4xx, never a 500) and, when given, a matching description. */
export function refused(r: GrantResult, error: string, description?: RegExp): void {
  assert.equal(r.ok, false, 'the request must be refused');
  if (r.ok) return;
  assert.equal(r.error, error, `${r.error}: ${r.description}`);
  if (description) assert.match(r.description ?? '', description);
}
