import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadPageAssets, themeCss } from '../assets/page-assets.ts';
import { formPostPage } from './form-post-page.ts';
import { escapeHtml, html } from './html.ts';
import { button, createPageKit, field, form, layout } from './layout.ts';
import { describeClaim, describeScope, extraClaimWords } from './scope-words.ts';

const theme = { productName: 'Acme <Login>', primaryColor: '#1d4ed8', backgroundColor: '#f4f6fb' };

describe('HTML escaping', () => {
  test('every interpolation is escaped; nested html fragments are not escaped twice', () => {
    const evil = `"><script>alert('x')</script>&`;
    assert.equal(escapeHtml(evil), '&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;');
    const out = html`<p title="${evil}">${evil}${html`<b>${evil}</b>`}</p>`.value;
    assert.doesNotMatch(out, /<script/);
    assert.equal((out.match(/<b>/g) ?? []).length, 1);
    assert.equal(html`${null}${undefined}${false}${0}`.value, '0');
    assert.equal(html`${['<a>', html`<i></i>`]}`.value, '&lt;a&gt;<i></i>');
  });

  test('form, field and button helpers escape names and values and carry the CSRF token', () => {
    const f = form({
      action: 'https://h/x?a=1&b=2',
      csrfToken: 'n.mac',
      hidden: { interaction: 'v1."x"' },
      body: html`${field({ id: 'u', name: 'username', label: 'User <name>', autofocus: true })}${button({ label: 'Go' })}`,
    }).value;
    assert.match(f, /action="https:\/\/h\/x\?a=1&amp;b=2"/);
    assert.match(f, /<input type="hidden" name="csrf_token" value="n\.mac">/);
    assert.match(f, /value="v1\.&quot;x&quot;"/);
    assert.match(f, /<label for="u">User &lt;name&gt;<\/label>/);
    assert.match(f, /autofocus required>/);
  });
});

describe('layout and assets', () => {
  test('one stylesheet plus the generated theme, escaped product name, lang, no inline script or style', async () => {
    const kit = createPageKit({ issuer: 'https://id.example/tenant', theme }, await loadPageAssets({ theme }));
    const doc = layout(kit, { title: 'T', main: html`<p>x</p>` });
    assert.match(doc, /^<!DOCTYPE html>\n<html lang="en">/);
    assert.match(doc, /<title>T · Acme &lt;Login&gt;<\/title>/);
    assert.equal((doc.match(/rel="stylesheet"/g) ?? []).length, 2);
    assert.match(doc, /href="https:\/\/id\.example\/tenant\/assets\/gatehouse\.css\?v=[\w-]{12}"/);
    assert.doesNotMatch(doc, /<script|<style|style=/);
  });

  test('theme.css: configured colours and readable text on the primary colour', () => {
    assert.match(themeCss({ ...theme, primaryColor: '#1d4ed8' }), /--gh-on-primary: #ffffff;/);
    const light = themeCss({ ...theme, primaryColor: '#fde047' });
    assert.match(light, /--gh-on-primary: #111827;/);
    assert.match(light, /--gh-primary-text: #1f2937;/, 'a light primary is not used for link text on white');
  });

  test('theme.logoFile must be an svg or png that can be read', async () => {
    await assert.rejects(loadPageAssets({ theme: { ...theme, logoFile: '/tmp/logo.gif' } }), /GH_CONFIG_INVALID|svg or \.png/);
    await assert.rejects(loadPageAssets({ theme: { ...theme, logoFile: '/nonexistent/logo.svg' } }), /cannot read/);
  });

  test('Form Post §2: values are escaped into hidden inputs; CSP allows only the redirect origin', async () => {
    const kit = createPageKit({ issuer: 'https://id.example', theme }, await loadPageAssets({ theme }));
    const page = formPostPage(kit, 'https://rp.example/cb', { state: '"><script>x</script>', code: 'c' });
    assert.match(page.body, /<input type="hidden" name="state" value="&quot;&gt;&lt;script&gt;x&lt;\/script&gt;">/);
    assert.deepEqual(page.formAction, ['https://rp.example']);
    assert.deepEqual(formPostPage(kit, 'com.example.app:/cb', {}).formAction, ['com.example.app:']);
  });
});

describe('consent wording', () => {
  test('OIDC Core §5.4 scopes and §5.1 claims in plain words; unknown values named, not hidden', async () => {
    const assets = await loadPageAssets({ theme });
    const kit = createPageKit({ issuer: 'https://id.example', theme }, assets);
    assert.equal(describeScope(kit, 'email'), 'Your email address and whether it is verified');
    assert.equal(describeScope(kit, 'calendar.read'), 'Permission “calendar.read”');
    assert.equal(describeClaim(kit, 'birthdate'), 'Your date of birth');
    assert.equal(describeScope(kit.forLocale('de'), 'email'), 'Ihre E-Mail-Adresse und ob sie bestätigt ist');
    assert.deepEqual(extraClaimWords(kit, ['openid', 'email'], { userinfo: { email: null, phone_number: null, acr: null }, id_token: { x_custom: null } }), [
      'Your phone number',
      'Information “x_custom” about you',
    ]);
  });
});
