import type { Scenario } from '../lib/types.ts';
import { basicAuth, checkTokenResponse, form, FORM, parseJson, tokenRequest } from './http.ts';

/**
 * RFC 7662 introspection of a fresh, valid opaque token by the client it was issued to.
 * The token is obtained right before the cell, so stores with eviction still hold it.
 */
export const introspectOpaque: Scenario = {
  id: 'introspect-opaque',
  title: 'introspection of an opaque token (RFC 7662)',
  async prepare(t) {
    const { tokenPath, introspectionPath, opaqueClient } = t.capabilities;
    if (!tokenPath || !introspectionPath || !opaqueClient) {
      return { na: t.capabilities.notes?.['introspect-opaque'] ?? 'no introspection endpoint' };
    }
    const req = tokenRequest(opaqueClient);
    const res = await fetch(t.origin + tokenPath, { method: 'POST', headers: req.headers, body: req.body });
    const r = checkTokenResponse(res.status, await res.text());
    if ('problem' in r) throw new Error(`cannot obtain a token to introspect: ${r.problem}`);
    return {
      load: {
        method: 'POST',
        path: introspectionPath,
        headers: { authorization: basicAuth(opaqueClient), 'content-type': FORM, accept: 'application/json' },
        body: form({ token: r.token, token_type_hint: 'access_token' }),
        verifyBody: (b) => b.includes('"active":true'),
        verifyResponse(status, body) {
          if (status !== 200) return `introspection answered ${status}: ${body.slice(0, 200)}`;
          const json = parseJson(body);
          if (json?.active !== true) return `token is not active: ${body.slice(0, 200)}`;
          if (json.client_id !== opaqueClient.clientId) return `client_id is ${String(json.client_id)}`;
          return null;
        },
      },
    };
  },
};
