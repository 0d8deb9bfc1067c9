/**
 * Real Chromium for page tests (S14): the Debian package at /usr/bin/chromium (override with
 * GATEHOUSE_CHROMIUM), driven by playwright-core, which never downloads a browser. When the
 * binary is missing the test skips with the reason printed, except in CI or with
 * GATEHOUSE_TEST_REQUIRE_BACKENDS=1, where it fails (same rule as test/support/databases.ts).
 *
 *   const b = await launchBrowser();
 *   if ('skip' in b) return t.skip(b.skip);
 *   const tab = await b.open('sign-in');          // fails the test on console errors / CSP violations
 *   await tab.page.goto(url);
 *   await tab.shot('login');                      // test-artifacts/sign-in-login.png
 *   tab.assertClean();
 *
 * The relying party is a tiny local HTTP server (`startClientSite`): the redirect URI points at
 * it, it answers with a small page and records each request's URL and POST body (form_post).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { backendRequired } from './databases.ts';

export const CHROMIUM_PATH = process.env['GATEHOUSE_CHROMIUM'] || '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts');

export interface ClientHit {
  readonly url: URL;
  readonly method: string;
  readonly form: URLSearchParams | null;
}

export interface Tab {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console errors, page errors and CSP violations seen so far. */
  readonly problems: string[];
  /** Saves a full-page screenshot to test-artifacts/<tab>-<name>.png. */
  shot(name: string): Promise<string>;
  /** Fails when any console error or CSP violation happened. */
  assertClean(): void;
  close(): Promise<void>;
}

export interface Chromium {
  readonly browser: Browser;
  /** A fresh browser profile (own cookies) that records problems; `locale` sets its Accept-Language (default en-US). */
  open(name: string, opts?: { readonly locale?: string }): Promise<Tab>;
  close(): Promise<void>;
}

/**
 * Runs `fn` in a fresh tab named `name`, then fails on any console error or CSP violation the tab
 * saw; the tab is closed either way. Call it after the test skipped when Chromium is missing.
 */
export async function withTab(chromium: Chromium | { skip: string }, name: string, fn: (tab: Tab) => Promise<void>): Promise<void> {
  if ('skip' in chromium) throw new Error(`no browser: ${chromium.skip}`);
  const tab = await chromium.open(name);
  try {
    await fn(tab);
    tab.assertClean();
  } finally {
    await tab.close();
  }
}

/** Listens for CSP violations inside every page and reports them on the console as errors. */
const CSP_PROBE = `document.addEventListener('securitypolicyviolation', function (e) {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});`;

export async function launchBrowser(): Promise<Chromium | { skip: string }> {
  if (!existsSync(CHROMIUM_PATH)) {
    const reason = `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium)`;
    if (backendRequired()) throw new Error(`${reason} (required: CI=true or GATEHOUSE_TEST_REQUIRE_BACKENDS=1)`);
    process.stdout.write(`# skip: ${reason}\n`);
    return { skip: reason };
  }
  // --no-sandbox: tests may run as root (CI), where Chromium's sandbox refuses to start.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return {
    browser,
    async open(name, opts = {}) {
      const context = await browser.newContext({ viewport: { width: 800, height: 900 }, locale: opts.locale ?? 'en-US' });
      await context.addInitScript({ content: CSP_PROBE });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()} (${m.location().url})`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      return {
        page,
        context,
        problems,
        async shot(shotName) {
          const path = join(ARTIFACTS_DIR, `${name}-${shotName}.png`.replace(/[^\w.-]+/g, '-'));
          await page.screenshot({ path, fullPage: true });
          return path;
        },
        assertClean() {
          assert.deepEqual(problems, [], 'no console errors or CSP violations');
        },
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}

export interface ClientSite {
  readonly origin: string;
  /** `<origin>/cb`: register this as the client's redirect URI. */
  readonly redirectUri: string;
  /** Every request the site received, in order. */
  readonly hits: ClientHit[];
  close(): Promise<void>;
}

/** The relying party's callback on 127.0.0.1:0: answers 200 with a small page, records requests. */
export async function startClientSite(): Promise<ClientSite> {
  const hits: ClientHit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      hits.push({ url, method: req.method ?? 'GET', form: req.method === 'POST' ? new URLSearchParams(body) : null });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html lang="en"><head><title>Client</title></head><body><h1>Client callback</h1></body></html>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    redirectUri: `${origin}/cb`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/*
 * Focus helpers. The test files compile without the DOM library (tsconfig lib is ES2023), so code
 * that runs inside the page is passed as a string expression.
 */

/**
 * Waits until `expression` (evaluated in the page) is truthy, polling from here. Not
 * `page.waitForFunction`: once its first check fails it re-evaluates a string predicate with
 * `eval` inside the page, which our pages' CSP (`script-src 'self'`, no 'unsafe-eval') refuses,
 * so the wait failed whenever focus arrived a moment late. `page.evaluate` goes through the
 * DevTools protocol, which the page's CSP does not govern.
 */
export async function waitForExpression(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    // A navigation in progress destroys the context mid-evaluation: that is "not yet", not a failure.
    const ok = await page.evaluate(`Boolean(${expression})`).catch((e: unknown) => ((last = e), false));
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** Waits until the element with this id has keyboard focus. */
export async function waitForFocus(page: Page, id: string): Promise<void> {
  await waitForExpression(page, `document.activeElement && document.activeElement.id === ${JSON.stringify(id)}`);
}

/** Waits until the focused element's trimmed text is this (autofocus lands after the first paint, not with the DOM). */
export async function waitForFocusedText(page: Page, text: string): Promise<void> {
  await waitForExpression(page, `document.activeElement && (document.activeElement.textContent || '').trim() === ${JSON.stringify(text)}`);
}

/** The focused element: id, trimmed text, class list and computed outline style. */
export async function focused(page: Page): Promise<{ id: string; text: string; className: string; outline: string }> {
  return page.evaluate(
    `(() => { const e = document.activeElement; return e ? { id: e.id, text: (e.textContent || '').trim(), className: e.className, outline: getComputedStyle(e).outlineStyle } : { id: '', text: '', className: '', outline: '' }; })()`,
  );
}
