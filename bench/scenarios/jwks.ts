import type { Scenario } from '../lib/types.ts';
import { parseJson } from './http.ts';

/** GET of the JWKS document (RFC 7517 §5) that resource servers poll. */
export const jwks: Scenario = {
  id: 'jwks',
  title: 'JWKS document',
  async prepare(t) {
    const { jwksPath } = t.capabilities;
    if (!jwksPath) return { na: t.capabilities.notes?.jwks ?? 'no JWKS' };
    return {
      load: {
        method: 'GET',
        path: jwksPath,
        headers: { accept: 'application/json' },
        verifyBody: (b) => b.includes('"keys":['),
        verifyResponse(status, body) {
          if (status !== 200) return `JWKS answered ${status}`;
          const keys = parseJson(body)?.keys;
          if (!Array.isArray(keys) || keys.length === 0) return 'JWKS has no keys';
          const list = keys as Record<string, unknown>[];
          if (list.some((k) => 'd' in k || 'p' in k)) return 'JWKS leaks private key material';
          if (!list.some((k) => k.alg === 'ES256' || k.crv === 'P-256')) return 'JWKS has no ES256 key';
          return null;
        },
      },
    };
  },
};
