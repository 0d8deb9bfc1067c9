import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OAuthError } from '../errors.ts';
import { checkVerifierSyntax, verifyPkce } from './pkce.ts';

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const grantError = (e: unknown) => e instanceof OAuthError && e.code === 'invalid_grant';

test('RFC 7636 Appendix B the S256 example verifier matches its challenge', () => {
  assert.doesNotThrow(() => verifyPkce({ codeChallenge: CHALLENGE, codeChallengeMethod: 'S256' }, VERIFIER));
});

test('RFC 7636 §4.6 a different verifier is invalid_grant', () => {
  assert.throws(() => verifyPkce({ codeChallenge: CHALLENGE, codeChallengeMethod: 'S256' }, `${VERIFIER.slice(0, -1)}l`), grantError);
  // S256 challenge presented as plain: the verifier equal to the challenge must not pass.
  assert.throws(() => verifyPkce({ codeChallenge: CHALLENGE, codeChallengeMethod: 'S256' }, CHALLENGE), grantError);
});

test('RFC 7636 §4.6 plain compares the verifier itself', () => {
  assert.doesNotThrow(() => verifyPkce({ codeChallenge: VERIFIER, codeChallengeMethod: 'plain' }, VERIFIER));
  assert.throws(() => verifyPkce({ codeChallenge: VERIFIER, codeChallengeMethod: 'plain' }, CHALLENGE), grantError);
});

test('RFC 7636 §4.5 a stored challenge requires a verifier', () => {
  assert.throws(() => verifyPkce({ codeChallenge: CHALLENGE, codeChallengeMethod: 'S256' }, undefined), grantError);
});

test('RFC 9700 §2.1.1 a code_verifier without a challenge is rejected (PKCE downgrade)', () => {
  assert.throws(() => verifyPkce({ codeChallenge: null, codeChallengeMethod: null }, VERIFIER), grantError);
  assert.doesNotThrow(() => verifyPkce({ codeChallenge: null, codeChallengeMethod: null }, undefined));
});

test('RFC 7636 §4.1 verifier syntax: 43 to 128 unreserved characters', () => {
  const bad = (v: string) =>
    assert.throws(
      () => checkVerifierSyntax(v),
      (e: unknown) => e instanceof OAuthError && e.code === 'invalid_request',
    );
  bad('a'.repeat(42));
  bad('a'.repeat(129));
  bad(`${'a'.repeat(42)}+`);
  bad(`${'a'.repeat(42)} `);
  assert.doesNotThrow(() => checkVerifierSyntax('a'.repeat(43)));
  assert.doesNotThrow(() => checkVerifierSyntax(`${'A1-._~'.repeat(21)}xx`));
  assert.doesNotThrow(() => checkVerifierSyntax(undefined));
});
