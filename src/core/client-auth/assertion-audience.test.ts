import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkAudience, isClientAuthenticationJwt, strictAudienceReason, type AudienceRule } from './assertion-audience.ts';

const ISSUER = 'https://as.example';
const TOKEN = `${ISSUER}/token`;
const PAR = `${ISSUER}/par`;
const compatible: AudienceRule = { issuer: ISSUER, compatible: [TOKEN, PAR], strict: null };
const strict: AudienceRule = { ...compatible, strict: 'test' };

const accepts = (aud: unknown, rule: AudienceRule) => assert.deepEqual(checkAudience(aud, rule), { ok: true, audience: Array.isArray(aud) ? aud[0] : aud });
function refuses(aud: unknown, rule: AudienceRule, reason: RegExp): void {
  const v = checkAudience(aud, rule);
  assert.equal(v.ok, false, `${JSON.stringify(aud)} must be refused`);
  if (!v.ok) assert.match(v.reason, reason);
}

describe('draft-ietf-oauth-rfc7523bis audience: one value', () => {
  test('a multi-valued aud is refused even when every value is acceptable (audience injection)', () => {
    refuses([ISSUER, 'https://evil.example'], compatible, /2 values/);
    refuses(['https://evil.example', ISSUER], strict, /2 values/);
    refuses([ISSUER, ISSUER], compatible, /2 values/);
    refuses([TOKEN, PAR], compatible, /2 values/);
    refuses([], compatible, /0 values/);
  });

  test('the reason never carries the presented value', () => {
    for (const aud of [[ISSUER, 'https://evil.example'], 'https://evil.example', ['https://evil.example']]) {
      const v = checkAudience(aud, compatible);
      assert.ok(!v.ok && !v.reason.includes('evil'), JSON.stringify(v));
    }
  });

  test('a string or an array of exactly one string is one value', () => {
    accepts(ISSUER, compatible);
    accepts([ISSUER], compatible);
    accepts([TOKEN], compatible);
  });

  test('RFC 7523 §3 item 3 a missing aud, or one that is not a string, is refused', () => {
    refuses(undefined, compatible, /missing/);
    refuses(null, compatible, /missing/);
    refuses(42, compatible, /neither a string nor an array/);
    refuses({ aud: ISSUER }, compatible, /neither a string nor an array/);
    refuses([42], compatible, /not a string/);
  });
});

describe('RFC 7523 §3 / RFC 9126 §2 audience: accepted values', () => {
  test('compatible mode accepts the issuer, the token endpoint URL and the endpoint being called', () => {
    for (const aud of [ISSUER, TOKEN, PAR]) accepts(aud, compatible);
  });

  test('RFC 3986 §6.2.1 values compare as exact strings (no trailing slash, case or prefix games)', () => {
    for (const aud of [`${ISSUER}/`, 'https://AS.example', `${TOKEN}/`, `${ISSUER}/introspect`, 'https://evil.example', '']) {
      refuses(aud, compatible, /neither the issuer/);
    }
  });

  test('strict mode accepts the issuer only and says why', () => {
    accepts(ISSUER, strict);
    accepts([ISSUER], strict);
    refuses(TOKEN, strict, /only the issuer is accepted: test/);
    refuses(PAR, strict, /only the issuer is accepted/);
  });
});

describe('draft-ietf-oauth-rfc7523bis strictness', () => {
  test('RFC 7515 §4.1.9 typ client-authentication+jwt is recognised case-insensitively, with or without application/', () => {
    for (const typ of ['client-authentication+jwt', 'Client-Authentication+JWT', 'application/client-authentication+jwt'])
      assert.ok(isClientAuthenticationJwt(typ), typ);
    for (const typ of [undefined, 'JWT', 'jwt', 'at+jwt', 'client-authentication', 'text/client-authentication+jwt', 42])
      assert.ok(!isClientAuthenticationJwt(typ), String(typ));
  });

  test('an explicitly typed JWT, a strict client or the server switch each make the rule strict', () => {
    const lax = { typ: 'JWT', clientStrict: false, serverStrict: false };
    assert.equal(strictAudienceReason(lax), null);
    assert.match(strictAudienceReason({ ...lax, typ: 'client-authentication+jwt' }) ?? '', /typed client-authentication\+jwt/);
    assert.match(strictAudienceReason({ ...lax, clientStrict: true }) ?? '', /strict_assertion_audience/);
    assert.match(strictAudienceReason({ ...lax, serverStrict: true }) ?? '', /clientAuth\.strictAudience/);
  });
});
