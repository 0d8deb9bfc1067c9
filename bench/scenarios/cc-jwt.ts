import type { Scenario } from '../lib/types.ts';
import { accessTokenOf, checkTokenResponse, jwsHeader, looksLikeJws, tokenRequest } from './http.ts';

/** client_credentials returning an ES256-signed JWT access token (RFC 9068). */
export const ccJwt: Scenario = {
  id: 'cc-jwt',
  title: 'client_credentials, JWT access token (ES256)',
  async prepare(t) {
    const { tokenPath, jwtClient } = t.capabilities;
    if (!tokenPath || !jwtClient) return { na: t.capabilities.notes?.['cc-jwt'] ?? 'no JWT access tokens' };
    return {
      load: {
        method: 'POST',
        path: tokenPath,
        ...tokenRequest(jwtClient),
        verifyBody: (b) => {
          const t = accessTokenOf(b);
          return t !== null && looksLikeJws(t);
        },
        verifyResponse(status, body) {
          const r = checkTokenResponse(status, body);
          if ('problem' in r) return r.problem;
          const h = jwsHeader(r.token);
          if (!h) return 'access token is not a compact JWS';
          if (h.alg !== 'ES256') return `access token alg is ${String(h.alg)}, want ES256`;
          return null;
        },
      },
    };
  },
};
