import type { Scenario } from '../lib/types.ts';
import { accessTokenOf, basicAuth, checkTokenResponse, FORM, form, jwsHeader, looksLikeJws, parseJson, tokenRequest } from './http.ts';

const TX = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';

/**
 * RFC 8693 token exchange, JWT in and JWT out: the client exchanges one of its own JWT access
 * tokens (client_credentials, issued once before the cell) for a new JWT access token. Targets
 * without a token-exchange client are n/a.
 */
export const tokenExchange: Scenario = {
  id: 'token-exchange',
  title: 'token exchange (RFC 8693), JWT in, JWT out (ES256)',
  async prepare(t) {
    const { tokenPath, tokenExchangeClient: client } = t.capabilities;
    if (!tokenPath || !client) return { na: t.capabilities.notes?.['token-exchange'] ?? 'no token exchange' };
    const issued = tokenRequest(client);
    const res = await fetch(`${t.origin}${tokenPath}`, { method: 'POST', headers: issued.headers, body: issued.body });
    const subject = parseJson(await res.text())?.access_token;
    if (res.status !== 200 || typeof subject !== 'string') throw new Error(`no subject token for token-exchange: ${res.status}`);
    return {
      load: {
        method: 'POST',
        path: tokenPath,
        headers: { authorization: basicAuth(client), 'content-type': FORM, accept: 'application/json' },
        body: form({ grant_type: TX, subject_token: subject, subject_token_type: JWT, requested_token_type: JWT }),
        verifyBody: (b) => {
          const tok = accessTokenOf(b);
          return tok !== null && looksLikeJws(tok);
        },
        verifyResponse(status, body) {
          const r = checkTokenResponse(status, body);
          if ('problem' in r) return r.problem;
          const h = jwsHeader(r.token);
          if (!h) return 'access token is not a compact JWS';
          if (h.alg !== 'ES256') return `access token alg is ${String(h.alg)}, want ES256`;
          if (parseJson(body)?.issued_token_type !== JWT) return 'issued_token_type is not jwt';
          return null;
        },
      },
    };
  },
};
