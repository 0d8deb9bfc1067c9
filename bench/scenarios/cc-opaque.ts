import type { Scenario } from '../lib/types.ts';
import { checkTokenResponse, jwsHeader, tokenRequest } from './http.ts';

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
        verifyBody: (b) => b.includes('"access_token":"') && !b.includes('"access_token":"eyJ'),
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
