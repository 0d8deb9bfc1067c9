import { ENV_OVERRIDES } from '../config/load.ts';

/** Levenshtein distance (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The closest of `candidates` to `word` within a typo's reach (a third of its length, at least 2), or null. */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) { best = c; bestDistance = d; }
  }
  return best;
}

/** `--database-url` → `GATEHOUSE_DATABASE_URL` when such a variable exists. */
function envVariableFor(flag: string): string | null {
  const name = `GATEHOUSE_${flag.replace(/^-+/, '').replace(/-/g, '_').toUpperCase()}`;
  return ENV_OVERRIDES.some(([v]) => v === name) ? name : null;
}

/**
 * The usage error for an unknown flag: which one, the closest known flag (edit distance, or a
 * known flag it is the start of: `--password` → `--password-stdin`), and the environment
 * variable when the flag names a setting rather than an option (`--port` → `GATEHOUSE_PORT`).
 */
export function unknownFlagMessage(flag: string, known: readonly string[]): string {
  const flags = known.map((k) => (k.length === 1 ? `-${k}` : `--${k}`));
  const lines = [`unknown option ${flag}`];
  const env = envVariableFor(flag);
  const bare = flag.replace(/^-+/, '');
  const extension = bare.length >= 3 ? flags.find((f) => f.startsWith(`--${bare}-`)) : undefined;
  const near = extension ?? closest(flag, flags.filter((f) => f.startsWith('--')));
  if (env) lines.push(`  ${flag} is a setting, not an option: set ${env}=… in the environment (or the key in --config FILE)`);
  if (near && !env) lines.push(`  did you mean ${near}?`);
  lines.push('  --help lists every option');
  return lines.join('\n');
}
