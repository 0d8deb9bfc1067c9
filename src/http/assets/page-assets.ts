import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Config } from '../../config/schema.ts';
import { GatehouseError } from '../../core/errors.ts';
import { CHECK_SESSION_JS } from './check-session-js.ts';
import { FORM_POST_JS } from './form-post-js.ts';
import { GATEHOUSE_CSS } from './gatehouse-css.ts';
import { LOGOUT_JS } from './logout-js.ts';

/** One static asset, served from memory under /assets/<name> (no external assets, S16). */
export interface Asset {
  readonly name: string;
  readonly body: Buffer;
  readonly contentType: string;
  /** Content hash: page links carry `?v=<version>` so the immutable cache never serves stale files. */
  readonly version: string;
}

export interface PageAssets {
  /** Every asset by name (`check-session.js` and `logout.js` for the logout pages too). */
  readonly byName: ReadonlyMap<string, Asset>;
  readonly css: Asset;
  readonly theme: Asset;
  readonly formPost: Asset;
  /** A small generated icon in the theme colours (browsers ask for one on every page). */
  readonly favicon: Asset;
  readonly logo: Asset | null;
  /** The operator's stylesheet (`pages.stylesheet`), linked after ours, or null. */
  readonly custom: Asset | null;
}

const LOGO_TYPES: Readonly<Record<string, string>> = { '.svg': 'image/svg+xml', '.png': 'image/png' };

function asset(name: string, body: Buffer | string, contentType: string): Asset {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return { name, body: buf, contentType, version: createHash('sha256').update(buf).digest('base64url').slice(0, 12) };
}

/** WCAG relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
}

function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

/**
 * /assets/theme.css from `theme.*`: the configured colours, plus text colours picked for a
 * readable contrast on them (white or near-black on the primary colour; the primary colour as
 * link text only when it reads on white, otherwise a dark fallback).
 */
function onPrimary(theme: Config['theme']): string {
  return contrast(theme.primaryColor, '#ffffff') >= contrast(theme.primaryColor, '#111827') ? '#ffffff' : '#111827';
}

export function themeCss(theme: Config['theme']): string {
  const primaryText = contrast(theme.primaryColor, '#ffffff') >= 4.5 ? theme.primaryColor : '#1f2937';
  return `:root {\n  --gh-primary: ${theme.primaryColor};\n  --gh-on-primary: ${onPrimary(theme)};\n  --gh-primary-text: ${primaryText};\n  --gh-bg: ${theme.backgroundColor};\n  --gh-focus: #f59e0b;\n}\n`;
}

/** A gatehouse outline on a rounded square in the primary colour. */
function faviconSvg(theme: Config['theme']): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="${theme.primaryColor}"/>` +
    `<path d="M8 25V12l8-5 8 5v13h-5v-7h-6v7z" fill="${onPrimary(theme)}"/></svg>\n`
  );
}

/** Largest accepted `pages.stylesheet` (S20): a theme, not an asset bundle. */
export const MAX_STYLESHEET_BYTES = 262_144;

/**
 * `pages.stylesheet`, read once at start. Served from our origin like every asset, so the pages'
 * CSP stays `style-src 'self'`; its URL carries its content hash like the others.
 */
async function loadStylesheet(path: string): Promise<Asset> {
  if (extname(path).toLowerCase() !== '.css') throw new GatehouseError('GH_CONFIG_INVALID', 'pages.stylesheet: must be a .css file');
  let body: Buffer;
  try {
    body = await readFile(path);
  } catch (e) {
    throw new GatehouseError('GH_CONFIG_INVALID', `pages.stylesheet: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (body.length > MAX_STYLESHEET_BYTES)
    throw new GatehouseError('GH_CONFIG_INVALID', `pages.stylesheet: ${path} is larger than ${MAX_STYLESHEET_BYTES} bytes`);
  return asset('custom.css', body, 'text/css; charset=utf-8');
}

/** Builds every asset once at start; reads the logo file (`theme.logoFile`) and the stylesheet (`pages.stylesheet`) when set. */
export async function loadPageAssets(config: Pick<Config, 'theme'> & { readonly pages?: { readonly stylesheet?: string | undefined } }): Promise<PageAssets> {
  const css = asset('gatehouse.css', GATEHOUSE_CSS, 'text/css; charset=utf-8');
  const theme = asset('theme.css', themeCss(config.theme), 'text/css; charset=utf-8');
  const formPost = asset('form-post.js', FORM_POST_JS, 'text/javascript; charset=utf-8');
  const favicon = asset('favicon.svg', faviconSvg(config.theme), 'image/svg+xml');
  let logo: Asset | null = null;
  if (config.theme.logoFile) {
    const type = LOGO_TYPES[extname(config.theme.logoFile).toLowerCase()];
    if (!type) throw new GatehouseError('GH_CONFIG_INVALID', 'theme.logoFile: must be an .svg or .png file');
    try {
      logo = asset('logo', await readFile(config.theme.logoFile), type);
    } catch (e) {
      throw new GatehouseError('GH_CONFIG_INVALID', `theme.logoFile: cannot read ${config.theme.logoFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const custom = config.pages?.stylesheet ? await loadStylesheet(config.pages.stylesheet) : null;
  const scripts = [
    asset('check-session.js', CHECK_SESSION_JS, 'text/javascript; charset=utf-8'),
    asset('logout.js', LOGOUT_JS, 'text/javascript; charset=utf-8'),
  ];
  const all = [css, theme, formPost, favicon, ...scripts, ...(logo ? [logo] : []), ...(custom ? [custom] : [])];
  return { byName: new Map(all.map((a) => [a.name, a])), css, theme, formPost, favicon, logo, custom };
}
