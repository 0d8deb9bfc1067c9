/**
 * NIST SP 800-63B §5.2.2 "Rate Limiting (Throttling)": "the verifier SHALL implement controls to
 * protect against online guessing attacks" without letting an attacker lock the owner out (the
 * section's own alternatives: delays that grow, recognised devices). CWE-307, CWE-770, CWE-645.
 * Over real HTTP with the real argon2id hashing, so parallel guesses really run side by side while
 * the hashes are computed; `http.trustProxy` is on and each browser stands at its own address
 * through `X-Forwarded-For`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LOGIN_BUSY, LOGIN_THROTTLED } from '../../src/http/pages/login-page.ts';
import { EN } from '../../src/http/pages/messages/en.ts';
import { createTestUser, type TestUser } from '../support/oidc.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { UserAgent, type Outcome, type Page } from '../support/user-agent.ts';

const MAX_ATTEMPTS = 10;
const DELAY_MAX_MS = 400;

function page(out: Outcome): Page {
  if (out.kind !== 'page') assert.fail(`expected a page, got ${out.kind}`);
  return out.page;
}

/** `n` browsers at `address(i)`, each on the sign-in page (its own CSRF token), ready to submit at once. */
async function signInPages(s: TestServer, n: number, address: (i: number) => string): Promise<{ ua: UserAgent; page: Page }[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const ua = new UserAgent(s.url, { headers: { 'x-forwarded-for': address(i) } });
      return { ua, page: page(await ua.navigate(`${s.url}/login?return_to=${encodeURIComponent('/device')}`)) };
    }),
  );
}

/** One sign-in from `ua` (already at its address): the page it ends on. */
async function signIn(s: TestServer, ua: UserAgent, username: string, password: string): Promise<Page> {
  const form = page(await ua.navigate(`${s.url}/login?return_to=${encodeURIComponent('/device')}`));
  return page(await ua.login(form, username, password));
}
const signedIn = (p: Page) => new URL(p.url).pathname === '/device' && p.status === 200;

describe('sign-in limits per address and per (username, address)', () => {
  let s: TestServer;
  let user: TestUser;
  before(async () => {
    s = await startTestServer({
      http: { trustProxy: true },
      login: { maxAttempts: MAX_ATTEMPTS, userAddressMaxAttempts: MAX_ATTEMPTS, userDelayStart: 100, userDelayMax: DELAY_MAX_MS },
    });
    user = await createTestUser(s.gh);
  });
  after(() => s?.close());

  test('NIST SP 800-63B §5.2.2 (CWE-307): 100 parallel wrong passwords from one address for distinct usernames — at most login.maxAttempts get past the limiter, the rest 429', async () => {
    const n = 100;
    const forms = await signInPages(s, n, () => '198.51.100.10');
    const outcomes = await Promise.all(forms.map(({ ua, page: p }, i) => ua.login(p, `sprayed-${i}`, `wrong-password-${i}`)));
    const statuses = outcomes.map((o) => page(o).status);
    const passed = statuses.filter((x) => x === 200).length;
    assert.ok(passed >= 1 && passed <= MAX_ATTEMPTS, `at most ${MAX_ATTEMPTS} of ${n} checked, got ${passed} (${statuses.join(',')})`);
    assert.equal(statuses.filter((x) => x === 429).length, n - passed, 'every other one is refused with 429');
    for (const o of outcomes) {
      if (page(o).status !== 429) continue;
      assert.ok(page(o).text.includes(EN[LOGIN_THROTTLED]));
      assert.ok(Number(page(o).headers.get('retry-after')) > 0);
    }
    // The same /64 is the same address: a neighbour in it is refused too, even with the right password.
    const [ipv6] = await signInPages(s, 1, () => '2001:db8:1:2::10');
    for (let i = 0; i < MAX_ATTEMPTS; i++) await signIn(s, ipv6!.ua, `v6-${i}`, 'wrong-password-x');
    const neighbour = new UserAgent(s.url, { headers: { 'x-forwarded-for': '2001:db8:1:2:ffff::99' } });
    assert.equal((await signIn(s, neighbour, user.username, user.password)).status, 429);
  });

  test('NIST SP 800-63B §5.2.2 (CWE-645): ten wrong guesses from A do not lock the owner out — B signs in (slowed at most by the bounded delay), A with the recognised device cookie signs in, A without is 429', async () => {
    const victim = await createTestUser(s.gh);
    const home = new UserAgent(s.url, { headers: { 'x-forwarded-for': '192.0.2.50' } });
    assert.ok(signedIn(await signIn(s, home, victim.username, victim.password)), 'a first sign-in at home');
    const deviceCookie = home.cookies.get('gh_device');
    assert.ok(deviceCookie, 'a recognised-device cookie was set');
    assert.ok(!deviceCookie.includes(victim.username) && !deviceCookie.includes(victim.id), 'it names no user');

    const attacker = new UserAgent(s.url, { headers: { 'x-forwarded-for': '203.0.113.66' } });
    for (let i = 0; i < MAX_ATTEMPTS; i++) assert.equal((await signIn(s, attacker, victim.username, `wrong-guess-${i}`)).status, 200);
    assert.equal((await signIn(s, attacker, victim.username, victim.password)).status, 429, 'A itself is locked for this user');

    const elsewhere = new UserAgent(s.url, { headers: { 'x-forwarded-for': '198.51.100.77' } });
    const started = performance.now();
    assert.ok(signedIn(await signIn(s, elsewhere, victim.username, victim.password)), 'the right password from B signs in');
    const took = performance.now() - started;
    assert.ok(took >= DELAY_MAX_MS * 0.9, `the username-wide delay applies (${took.toFixed(0)} ms)`);
    assert.ok(took < DELAY_MAX_MS + 5000, `and stays bounded (${took.toFixed(0)} ms)`);

    const recognised = new UserAgent(s.url, { headers: { 'x-forwarded-for': '203.0.113.66' } });
    recognised.cookies.set('gh_device', deviceCookie);
    assert.ok(signedIn(await signIn(s, recognised, victim.username, victim.password)), 'A with the recognised device signs in');
    const stranger = new UserAgent(s.url, { headers: { 'x-forwarded-for': '203.0.113.66' } });
    const refused = await signIn(s, stranger, victim.username, victim.password);
    assert.equal(refused.status, 429, 'A without the device cookie is still refused');
    // A device cookie of another user (the attacker's own account) is no key to this one.
    const own = new UserAgent(s.url, { headers: { 'x-forwarded-for': '198.51.100.200' } });
    assert.ok(signedIn(await signIn(s, own, user.username, user.password)));
    stranger.cookies.set('gh_device', own.cookies.get('gh_device')!);
    assert.equal((await signIn(s, stranger, victim.username, victim.password)).status, 429, "another user's device cookie is not recognised");
    assert.ok(refused.text.includes(EN[LOGIN_THROTTLED]));
  });
});

describe('the password hashing queue is bounded', () => {
  let s: TestServer;
  let user: TestUser;
  before(async () => {
    s = await startTestServer({ http: { trustProxy: true }, login: { hashQueueLength: 0 } });
    user = await createTestUser(s.gh);
  });
  after(() => s?.close());

  test('NIST SP 800-63B §5.2.2 (CWE-770): with the hash queue full a sign-in answers 503 with Retry-After, and the server stays responsive', async () => {
    const n = 40;
    const forms = await signInPages(s, n, (i) => `10.0.${i >> 8}.${i & 255}`);
    const outcomes = await Promise.all(forms.map(({ ua, page: p }, i) => ua.login(p, `queued-${i}`, `wrong-password-${i}`)));
    const busy = outcomes.map(page).filter((p) => p.status === 503);
    assert.ok(busy.length >= 1, `some answered 503 (${outcomes.map((o) => page(o).status).join(',')})`);
    for (const p of busy) {
      assert.ok(Number(p.headers.get('retry-after')) > 0);
      assert.ok(p.text.includes(EN[LOGIN_BUSY]));
      assert.equal(p.kind, 'login', 'the sign-in form is shown again');
    }
    assert.ok(outcomes.map(page).every((p) => p.status === 503 || p.status === 200));
    assert.equal((await fetch(`${s.url}/health`)).status, 200);
    const ua = new UserAgent(s.url, { headers: { 'x-forwarded-for': '10.9.9.9' } });
    assert.ok(signedIn(await signIn(s, ua, user.username, user.password)), 'a sign-in afterwards works');
  });
});
