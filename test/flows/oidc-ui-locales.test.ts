/**
 * Localised pages over the wire: OIDC Core §3.1.2.1 `ui_locales`, then Accept-Language, then the
 * default; OIDC Discovery §3 `ui_locales_supported`; operator texts (`pages.messages`) and
 * stylesheet (`pages.stylesheet`) under the unchanged strict CSP. The real browser runs the same
 * pages in test/browser/locales.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type * as oidc from 'openid-client';
import { loadPageAssets } from '../../src/http/assets/page-assets.ts';
import { pageCsp } from '../../src/http/plugins/security-headers.ts';
import { authRequest, callbackOf, startRpFlow, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { startTestServer } from '../support/server.ts';
import { UserAgent, type Outcome, type Page } from '../support/user-agent.ts';

const CSS = '.gh-card { border-radius: 0; }\n';

let op: OidcServer;
let user: TestUser;
let rp: TestRp;
let cfg: oidc.Configuration;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gh-locales-'));
  await writeFile(join(dir, 'brand.css'), CSS);
  ({ op, user, rp, cfg } = await startRpFlow({
    server: { pages: { messages: { es: { 'login.title': 'Acceso a Acme' } }, stylesheet: join(dir, 'brand.css') } },
  }));
});
after(async () => {
  await op?.close();
  await rm(dir, { recursive: true, force: true });
});

const pageOf = (out: Outcome): Page => {
  if (out.kind !== 'page') assert.fail(`expected a page, got ${out.kind}`);
  return out.page;
};
const langOf = (p: Page) => /<html lang="([^"]+)"/.exec(p.html)?.[1];
const titleOf = (p: Page) => /<title>([^<]*)<\/title>/.exec(p.html)?.[1];

describe('OIDC Discovery §3 ui_locales_supported', () => {
  test('lists exactly the languages the pages are rendered in', async () => {
    const m = (await (await fetch(`${op.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.deepEqual(m['ui_locales_supported'], ['en', 'de', 'fr', 'es']);
  });

  test('with pages.locales narrowed, only those; a request for another language gets the default', async () => {
    const s = await startTestServer({ pages: { locales: ['en', 'fr'], defaultLocale: 'fr' } });
    try {
      const m = (await (await fetch(`${s.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      assert.deepEqual(m['ui_locales_supported'], ['en', 'fr']);
      const p = pageOf(await new UserAgent(s.url, { headers: { 'accept-language': 'de' } }).navigate(`${s.url}/device`));
      assert.equal(langOf(p), 'fr', 'de is not enabled: the default');
    } finally {
      await s.close();
    }
  });
});

describe('OIDC Core §3.1.2.1 ui_locales and Accept-Language choose the pages language', () => {
  test('ui_locales=de-AT renders the sign-in page in German (region fallback), ahead of Accept-Language', async () => {
    const ua = new UserAgent(op.url, { headers: { 'accept-language': 'fr' } });
    const { url } = await authRequest(cfg, rp, { ui_locales: 'sv de-AT en' });
    const p = pageOf(await ua.navigate(url));
    assert.equal(p.kind, 'login');
    assert.equal(langOf(p), 'de');
    assert.equal(titleOf(p), 'Anmelden · Gatehouse');
    assert.match(p.text, /Benutzername/);
    assert.doesNotMatch(p.text, /Username|Password|Sign in/);
  });

  test('without ui_locales, Accept-Language by q-value; the operator text replaces the shipped one', async () => {
    const ua = new UserAgent(op.url, { headers: { 'accept-language': 'it-IT, es-MX;q=0.9, en;q=0.8' } });
    const p = pageOf(await ua.navigate((await authRequest(cfg, rp)).url));
    assert.equal(langOf(p), 'es');
    assert.equal(titleOf(p), 'Acceso a Acme · Gatehouse');
    assert.match(p.text, /Contraseña/);
  });

  test('the language chosen at /authorize stays with the interaction: the next POSTs are German though the browser asks for French', async () => {
    const ua = new UserAgent(op.url, { headers: { 'accept-language': 'fr' } });
    const req = await authRequest(cfg, rp, { ui_locales: 'de', scope: 'openid email' });
    const login = pageOf(await ua.navigate(req.url));
    const refused = pageOf(await ua.login(login, user.username, 'not the password'));
    assert.equal(langOf(refused), 'de');
    assert.match(refused.text, /Benutzername oder Passwort ist falsch\./);
    const consent = pageOf(await ua.login(refused, user.username, user.password));
    assert.equal(consent.kind, 'consent');
    assert.equal(langOf(consent), 'de');
    assert.match(consent.text, /möchte auf Ihr Konto zugreifen/);
    assert.match(consent.text, /Ihre E-Mail-Adresse und ob sie bestätigt ist/);
    assert.doesNotMatch(consent.text, /Allow|Deny|Signed in as/);
    const cb = callbackOf(await ua.consent(consent, 'allow'));
    assert.ok(cb.searchParams.get('code'));
  });

  test('an error page before any interaction speaks ui_locales too; the protocol detail stays marked as English', async () => {
    const ua = new UserAgent(op.url);
    const p = pageOf(await ua.navigate(`${op.url}/authorize?client_id=nobody&response_type=code&ui_locales=es`));
    assert.equal(langOf(p), 'es');
    assert.match(p.text, /No se puede completar esta solicitud/);
    assert.match(p.text, /Código de error: invalid_request/);
    assert.match(p.html, /<span lang="en">[^<]+<\/span>/);
  });

  test('RP-Initiated Logout §2 ui_locales: the logout pages in French', async () => {
    const p = pageOf(await new UserAgent(op.url).navigate(`${op.url}/end_session?ui_locales=fr`));
    assert.equal(langOf(p), 'fr');
    assert.match(p.text, /déconnect/);
  });

  test('RFC 8628 device page from Accept-Language', async () => {
    const p = pageOf(await new UserAgent(op.url, { headers: { 'accept-language': 'fr-CH, fr;q=0.9' } }).navigate(`${op.url}/device`));
    assert.equal(langOf(p), 'fr');
    assert.match(p.text, /Connecter un appareil/);
  });
});

describe('pages.stylesheet under the strict CSP', () => {
  test('linked after our stylesheet with a content hash, served from our origin; CSP unchanged, no inline style', async () => {
    const res = await new UserAgent(op.url).request((await authRequest(cfg, rp)).url);
    const html = await res.text();
    const links = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => new URL(m[1]!));
    assert.deepEqual(
      links.map((u) => u.pathname),
      ['/assets/theme.css', '/assets/gatehouse.css', '/assets/custom.css'],
    );
    const custom = links[2]!;
    assert.equal(custom.origin, op.url);
    assert.match(custom.searchParams.get('v') ?? '', /^[\w-]{12}$/);
    assert.equal(res.headers.get('content-security-policy'), pageCsp(["'self'", new URL(rp.redirect_uri).origin]));
    assert.match(res.headers.get('content-security-policy')!, /style-src 'self';/);
    assert.doesNotMatch(html, /<style|style="/);
    const css = await fetch(custom);
    assert.equal(css.status, 200);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal(await css.text(), CSS);
  });

  test('a missing or non-CSS file is a configuration error at start', async () => {
    const theme = { productName: 'X', primaryColor: '#1d4ed8', backgroundColor: '#f4f6fb' };
    await assert.rejects(loadPageAssets({ theme, pages: { stylesheet: join(dir, 'missing.css') } }), /GH_CONFIG_INVALID|pages\.stylesheet: cannot read/);
    await assert.rejects(loadPageAssets({ theme, pages: { stylesheet: join(dir, 'brand.txt') } }), /pages\.stylesheet: must be a \.css file/);
  });
});
