import type { Scenario } from '../lib/types.ts';
import { accessTokenOf, checkTokenResponse, jwsHeader, looksLikeJws, tokenRequest } from './http.ts';

/** client_credentials returning an opaque access token that the server stores. */
export const ccOpaque: Scenario = {
  id: 'cc-opaque',
  title: 'client_credentials, opaque access token (stored)',
  async prepare(t) {
    const { tokenPath, opaqueClient } = t.capabilities;
    if (!tokenPath || !opaqueClient) return { na: t.capabilities.notes?.['cc-opaque'] ?? 'no opaque access tokens' };
    return {
      load: {
        method: 'POST',
        path: tokenPath,
        ...tokenRequest(opaqueClient),
        // Not "does not start with eyJ": a random opaque token does so once in 262,144.
        verifyBody: (b) => {
          const t = accessTokenOf(b);
          return t !== null && t.length >= 16 && !looksLikeJws(t);
        },
        verifyResponse(status, body) {
          const r = checkTokenResponse(status, body);
          if ('problem' in r) return r.problem;
          if (jwsHeader(r.token)) return 'access token is a JWT, want opaque';
          return null;
        },
      },
    };
  },
};
