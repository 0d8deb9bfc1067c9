import { readFileSync } from 'node:fs';

/**
 * The package version, read once from package.json (two levels up from both src/metrics and
 * dist/metrics). Used by `gatehouse_build_info` and the OpenAPI document.
 */
export const GATEHOUSE_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
})();
