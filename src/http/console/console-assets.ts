import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CONSOLE_CSS } from '../assets/console-css.ts';
import { CONSOLE_JS, CONSOLE_THEME_JS } from './console-js.ts';

/** One console asset, served from memory under /admin/assets/<name>, linked with its SRI hash. */
export interface ConsoleAsset {
  readonly name: string;
  readonly body: Buffer;
  readonly contentType: string;
  /** Content hash in the URL (`?v=`), so a year of immutable caching is safe. */
  readonly version: string;
  /** Subresource Integrity (W3C SRI §3.1): `sha384-<base64>`. */
  readonly integrity: string;
}

export interface ConsoleAssets {
  readonly byName: ReadonlyMap<string, ConsoleAsset>;
  readonly css: ConsoleAsset;
  readonly theme: ConsoleAsset;
  readonly js: ConsoleAsset;
  readonly alpine: ConsoleAsset;
}

function asset(name: string, body: string | Buffer, contentType: string): ConsoleAsset {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return {
    name,
    body: buf,
    contentType,
    version: createHash('sha256').update(buf).digest('base64url').slice(0, 12),
    integrity: `sha384-${createHash('sha384').update(buf).digest('base64')}`,
  };
}

/**
 * Built once at start: the Tailwind stylesheet (compiled at build time), our scripts, and
 * Alpine's CSP build read from the installed @alpinejs/csp package (a runtime dependency, never
 * a CDN).
 */
export function loadConsoleAssets(): ConsoleAssets {
  const require = createRequire(import.meta.url);
  const js = 'text/javascript; charset=utf-8';
  const css = asset('console.css', CONSOLE_CSS, 'text/css; charset=utf-8');
  const theme = asset('theme.js', CONSOLE_THEME_JS, js);
  const script = asset('console.js', CONSOLE_JS, js);
  const alpine = asset('alpine.js', readFileSync(require.resolve('@alpinejs/csp/dist/cdn.min.js')), js);
  return { byName: new Map([css, theme, script, alpine].map((a) => [a.name, a])), css, theme, js: script, alpine };
}
