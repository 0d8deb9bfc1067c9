import { closestName } from '../config/closest.ts';
import { ENV_OVERRIDES } from '../config/env.ts';

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
  const near =
    extension ??
    closestName(
      flag,
      flags.filter((f) => f.startsWith('--')),
    );
  if (env) lines.push(`  ${flag} is a setting, not an option: set ${env}=… in the environment (or the key in --config FILE)`);
  if (near && !env) lines.push(`  did you mean ${near}?`);
  // An id or value that begins with '-' (ids made before they were drawn without one) reads as an option.
  if (/^-[^-]./.test(flag)) lines.push(`  a value that begins with "-" goes after --: … -- ${flag}`);
  lines.push('  --help lists every option');
  return lines.join('\n');
}
