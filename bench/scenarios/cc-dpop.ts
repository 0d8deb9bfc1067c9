import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { FlowAgent } from '../lib/flow-agent.ts';
import type { FlowLoad, Scenario } from '../lib/types.ts';
import { basicAuth, FORM, form, jwsHeader, parseJson } from './http.ts';

const CONNECTIONS = 50;

/** An ES256 key and the fixed, encoded JOSE header of its DPoP proofs (RFC 9449 §4.2). */
function proofKey(): { readonly privateKey: KeyObject; readonly header: string; readonly jkt: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string; y: string };
  const pub = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: pub })).toString('base64url');
  // RFC 7638 §3: the thumbprint hashes the required members in lexicographic order.
  const jkt = createHash('sha256')
    .update(JSON.stringify({ crv: pub.crv, kty: pub.kty, x: pub.x, y: pub.y }))
    .digest('base64url');
  return { privateKey, header, jkt };
}

/** A fresh proof (new jti, current iat) for POST `htu`: signed in the load loop, one per request. */
function proof(key: ReturnType<typeof proofKey>, htu: string): string {
  const payload = Buffer.from(JSON.stringify({ jti: randomBytes(16).toString('base64url'), htm: 'POST', htu, iat: Math.floor(Date.now() / 1000) })).toString(
    'base64url',
  );
  const input = `${key.header}.${payload}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/**
 * client_credentials with DPoP (RFC 9449 §5): every request carries a fresh ES256 proof (its own
 * jti and iat), signed by the load generator in the loop (the same cost for every target), and
 * must come back as `token_type: DPoP` with `cnf.jkt` the proof key's thumbprint. 50 workers,
 * one key each. Both servers keep a jti replay cache (Gatehouse: the store, shared by instances;
 * node-oidc-provider: per process memory).
 */
export const ccDpop: Scenario = {
  id: 'cc-dpop',
  title: 'client_credentials with a fresh DPoP proof per request (ES256)',
  async prepare(t) {
    const { tokenPath, jwtClient, dpop } = t.capabilities;
    if (!tokenPath || !jwtClient) return { na: t.capabilities.notes?.['cc-dpop'] ?? 'no JWT access tokens' };
    if (!dpop) return { na: t.capabilities.notes?.['cc-dpop'] ?? 'no DPoP' };
    const agent = new FlowAgent(t.origin, CONNECTIONS);
    const htu = `${t.origin}${tokenPath}`;
    const keys = Array.from({ length: CONNECTIONS }, proofKey);
    const body = form({ grant_type: 'client_credentials', scope: jwtClient.scope, ...jwtClient.extraParams });
    const base = { authorization: basicAuth(jwtClient), 'content-type': FORM, accept: 'application/json' };
    let checked = false;
    const load: FlowLoad = {
      kind: 'flow',
      concurrency: CONNECTIONS,
      async once(worker) {
        const key = keys[worker]!;
        const r = await agent.send('POST', tokenPath, { ...base, dpop: proof(key, htu) }, body);
        if (r.status !== 200 || !r.body.includes('"token_type":"DPoP"')) return `token endpoint answered ${r.status}: ${r.body.slice(0, 160)}`;
        if (!checked) {
          // Once per cell: the JWT is bound to the proof key (cnf.jkt).
          const token = parseJson(r.body)?.access_token;
          const claims = typeof token === 'string' && jwsHeader(token) ? parseJson(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) : null;
          const cnf = claims?.cnf as { jkt?: string } | undefined;
          if (cnf?.jkt !== key.jkt) return `access token cnf is ${JSON.stringify(cnf)}, want jkt ${key.jkt}`;
          checked = true;
        }
        return null;
      },
      close: () => agent.close(),
    };
    return { load };
  },
};
