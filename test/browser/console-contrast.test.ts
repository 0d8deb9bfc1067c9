/**
 * WCAG 2.2 SC 1.4.3 (Contrast, Minimum, level AA) on every console page, light and dark, in real
 * Chromium: each visible piece of text against the background actually behind it (background
 * layers composited up the tree; colours resolved by the browser, so Tailwind 4's oklch() values
 * count as painted) reaches 4.5:1, or 3:1 for large text (≥ 24 px, or ≥ 18.66 px bold). Disabled
 * controls are exempt (SC 1.4.3 "incidental"). Any failure lists the element, its ratio and colours.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type Chromium } from '../support/browser.ts';
import { createTestUser } from '../support/oidc.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

const PASSWORD = 'contrast-Secret-pw-1';
const PAGES = [
  '/admin',
  '/admin/clients',
  '/admin/users',
  '/admin/grants',
  '/admin/consents',
  '/admin/keys',
  '/admin/audit',
  '/admin/events',
  '/admin/device-codes',
  '/admin/settings',
];

/** Runs in the page: the text elements under the AA ratio. */
const AUDIT = `(() => {
  const cv = document.createElement('canvas');
  cv.width = cv.height = 1;
  const cx = cv.getContext('2d', { willReadFrequently: true });
  const rgba = (c) => { cx.clearRect(0, 0, 1, 1); cx.fillStyle = 'rgba(0,0,0,0)'; cx.fillStyle = c; cx.fillRect(0, 0, 1, 1); const d = cx.getImageData(0, 0, 1, 1).data; return [d[0], d[1], d[2], d[3] / 255]; };
  const over = (top, bottom) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1); };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage !== 'none') return null;
      const c = rgba(s.backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let bg = [255, 255, 255, 1];
    for (const l of layers.reverse()) bg = over(l, bg);
    return bg;
  };
  const bad = [];
  let checked = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (!Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim() !== '')) continue;
    if (el.closest('[aria-hidden="true"], :disabled, [hidden], template, script, style, noscript')) continue;
    const s = getComputedStyle(el);
    if (s.visibility !== 'visible' || Number(s.opacity) === 0 || el.getClientRects().length === 0) continue;
    const bg = background(el);
    if (!bg) continue;
    const fg = over(rgba(s.color), bg);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    const r = ratio(fg, bg);
    checked++;
    if (r < (large ? 3 : 4.5)) bad.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).slice(0, 4).join('.') : '') + ' "' + el.textContent.trim().slice(0, 30) + '" ' + r.toFixed(2) + ':1 fg ' + fg.slice(0, 3) + ' bg ' + bg.slice(0, 3));
  }
  return { checked, bad };
})()`;

describe('WCAG 2.2 SC 1.4.3: console text contrast, light and dark', () => {
  let s: TestServer;
  let chromium: Chromium | { skip: string };
  before(async () => {
    chromium = await launchBrowser();
    s = await startTestServer();
    await createTestUser(s.gh, { username: 'contrast-admin', password: PASSWORD, roles: ['admin'] });
    await createTestClient(s.gh, { client_name: 'A listed client' });
  });
  after(async () => {
    if ('browser' in chromium) await chromium.close();
    await s?.close();
  });

  for (const scheme of ['light', 'dark'] as const) {
    test(`every console page, ${scheme}: all visible text ≥ 4.5:1 (large ≥ 3:1)`, async (t) => {
      if ('skip' in chromium) return t.skip(chromium.skip);
      const tab = await chromium.open(`console-contrast-${scheme}`);
      try {
        const page: Page = tab.page;
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto(`${s.url}/admin`);
        await page.fill('#username', 'contrast-admin');
        await page.fill('#password', PASSWORD);
        await Promise.all([page.waitForURL((u) => u.pathname === '/admin'), page.click('button[type=submit]')]);
        const failures: string[] = [];
        for (const path of PAGES) {
          await page.goto(`${s.url}${path}`);
          assert.equal(
            await page.evaluate('document.documentElement.classList.contains("dark")'),
            scheme === 'dark',
            `${path} follows the ${scheme} preference`,
          );
          const { checked, bad } = (await page.evaluate(AUDIT)) as { checked: number; bad: string[] };
          assert.ok(checked > 5, `${path}: text was found to check (${checked})`);
          failures.push(...bad.map((b) => `${path}: ${b}`));
        }
        assert.deepEqual(failures, [], `text under the WCAG AA contrast ratio:\n${failures.join('\n')}`);
      } finally {
        await tab.close();
      }
    });
  }
});
