/**
 * NIST SP 800-63B §5.2.2 "Rate Limiting (Throttling)": "the verifier SHALL implement controls to
 * protect against online guessing attacks" and limit "consecutive failed authentication attempts
 * on a single account". Over real HTTP with the real password hashing, so the guesses really run
 * side by side while the hashes are computed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LOGIN_THROTTLED } from '../../src/http/pages/login-page.ts';
import { createTestUser, type TestUser } from '../support/oidc.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { UserAgent, type Outcome, type Page } from '../support/user-agent.ts';

const MAX_ATTEMPTS = 10;
let s: TestServer;
let user: TestUser;
before(async () => {
  s = await startTestServer({ login: { maxAttempts: MAX_ATTEMPTS, attemptWindow: 600 } });
  user = await createTestUser(s.gh);
});
after(() => s?.close());

function page(out: Outcome): Page {
  if (out.kind !== 'page') assert.fail(`expected a page, got ${out.kind}`);
  return out.page;
}

/** `n` browsers, each on the sign-in page (its own CSRF token), ready to submit at once. */
async function signInPages(n: number): Promise<{ ua: UserAgent; page: Page }[]> {
  return Promise.all(Array.from({ length: n }, async () => {
    const ua = new UserAgent(s.url);
    return { ua, page: page(await ua.navigate(`${s.url}/login?return_to=${encodeURIComponent('/device')}`)) };
  }));
}

test('NIST SP 800-63B §5.2.2: parallel wrong passwords for one account cannot overshoot login.maxAttempts', async () => {
  const n = 4 * MAX_ATTEMPTS;
  const forms = await signInPages(n);
  // Mixed case: the limit is per account, however the username is typed.
  const outcomes = await Promise.all(forms.map(({ ua, page: p }, i) => ua.login(p, i % 2 ? user.username.toUpperCase() : user.username, `wrong-${i}`)));
  const statuses = outcomes.map((o) => page(o).status);
  const throttled = statuses.filter((x) => x === 429).length;
  assert.ok(throttled >= n - MAX_ATTEMPTS, `at least ${n - MAX_ATTEMPTS} of ${n} refused with 429, got ${throttled} (${statuses.join(',')})`);
  assert.equal(statuses.filter((x) => x === 200).length, n - throttled, 'the others are the neutral wrong-password page');
  for (const o of outcomes) if (page(o).status === 429) assert.ok(page(o).text.includes(LOGIN_THROTTLED));
  // Now even the right password is refused with the same page (the account's window is spent).
  const [last] = await signInPages(1);
  const right = page(await last!.ua.login(last!.page, user.username, user.password));
  assert.equal(right.status, 429);
  assert.ok(Number(right.headers.get('retry-after')) > 0);
});
