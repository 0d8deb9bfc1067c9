import { setFlagsFromString } from 'node:v8';

/** Set by bin/gatehouse.js when it held V8's young generation at its initial size for `serve`. */
const HELD = Symbol.for('gatehouse.youngGenerationHeld');

/** V8's own default growth factor of the young generation (`node --v8-options`). */
const DEFAULT_GROWTH_FACTOR = 2;

/**
 * Lets V8's young generation grow again once the server listens. bin/gatehouse.js keeps it at its
 * initial size (1 MB per semi-space) while `serve` loads and composes, so the garbage of startup
 * does not leave a 32 MB young generation resident in an idle server (V8 never shrinks it back);
 * from here on it grows with the request load exactly as it would have (after a few scavenges
 * under load it is back at its maximum). A no-op when the launcher did not hold it (tests, an
 * operator's own `--max-semi-space-size` or growth factor). The primary of `serve --workers N`
 * never listens and keeps the small young generation: it only supervises and merges scrapes.
 */
export function releaseYoungGeneration(): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[HELD] !== true) return;
  g[HELD] = false;
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
}
