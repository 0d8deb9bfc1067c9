import { z } from 'zod';
import { ENV_OVERRIDES, FILE_VARIABLES } from './env.ts';
import { configSchema } from './schema.ts';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  format?: string;
  anyOf?: JsonSchema[];
}

function typeOf(s: JsonSchema): string {
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.type === 'array') return `${s.items ? typeOf(s.items) : 'any'}[]`;
  if (s.type === 'integer') {
    const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
    if (max !== undefined) return `integer (${s.minimum ?? ''}…${max})`;
    return s.minimum !== undefined ? `integer ≥ ${s.minimum}` : 'integer';
  }
  return String(s.type ?? 'object') + (s.format ? ` (${s.format})` : '');
}

/** Renders docs/config.md from the one schema (S8): the docs cannot drift from the code. */
export function renderConfigDocs(): string {
  const json = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const env = new Map(ENV_OVERRIDES.map(([name, path]) => [path, name]));
  const rows: string[] = [];
  const walk = (s: JsonSchema, prefix: string) => {
    for (const [key, child] of Object.entries(s.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (child.type === 'object' && child.properties) {
        walk(child, path);
        continue;
      }
      const def = child.default === undefined ? '—' : `\`${JSON.stringify(child.default)}\``;
      const desc = (child.description ?? '').replace(/\s*Env: [A-Z_]+( \([^)]*\))?\.?/g, '').replace(/\|/g, '\\|');
      const envName = env.get(path);
      const envCell = envName ? `\`${envName}\`${FILE_VARIABLES.includes(envName) ? ` or \`${envName}_FILE\`` : ''}` : '';
      rows.push(`| \`${path}\` | ${typeOf(child)} | ${def} | ${envCell} | ${desc} |`);
    }
  };
  walk(json, '');
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs:config`. Do not edit by hand. -->',
    '',
    'Gatehouse reads its configuration once at boot, in this order (later wins):',
    '',
    '1. defaults (below);',
    '2. an optional file: `gatehouse serve --config gatehouse.json` (or `.yaml`/`.yml`);',
    '3. `GATEHOUSE_*` environment variables (column *Env*; lists are comma-separated).',
    '',
    'Environment variables: booleans accept `true`/`false`, `1`/`0` and `yes`/`no` in any case;',
    'numbers are whole numbers; an empty variable counts as unset. A variable that cannot be read is',
    'reported under its own name (`GATEHOUSE_PORT (port): must be a whole number`) and left out, so it',
    'does not cascade into errors about values derived from it. An unknown `GATEHOUSE_*` variable is',
    'a warning on stderr naming the closest known one (`GATEHOUSE_PROT` → `GATEHOUSE_PORT`);',
    '`GATEHOUSE_TEST_*` (test harness) is exempt. `cors.origins` entries are origins as browsers send',
    'them: `https://app.example.com` (no path, no trailing slash, no `*`).',
    '',
    '## Secrets from files',
    '',
    'Every secret-bearing variable can instead name a file holding the value: `<VARIABLE>_FILE`',
    `(${FILE_VARIABLES.map((v) => `\`${v}_FILE\``).join(', ')}).`,
    'This is the container convention: Docker/Compose `secrets:` and Kubernetes Secret volumes are mounted',
    'as files, so the secret is neither in the process environment nor in `docker inspect`. The file content',
    'is the value, without one trailing newline (`\\n` or `\\r\\n`, as `echo` or an editor leaves it).',
    'Setting both `X` and `X_FILE` is a configuration error; a missing, unreadable or empty file is an',
    'error naming the variable and the path, never the content. See docs/deploy.md.',
    '',
    'The result is validated against one schema. Every problem is reported with its dotted path and',
    'the process exits with `GH_CONFIG_INVALID`; the validated configuration is then frozen.',
    'Durations are in seconds.',
    '',
    '## Production mode',
    '',
    'With `env: production` (`GATEHOUSE_ENV=production`) Gatehouse refuses to start when:',
    '',
    '- `issuer` is not set explicitly (it is never derived from host and port in production), or is `http://` and not loopback (`localhost`, `127.0.0.1`, `[::1]`);',
    '- `database.url` is the in-memory store (`memory:` or `sqlite::memory:`): everything is lost at restart;',
    '- `kek` is missing, not 32 bytes, or guessable;',
    '- an initial access token is guessable.',
    '',
    '`GATEHOUSE_ADMIN_TOKEN` (and `adminToken`) were removed: setting them is a start-up error that',
    'says what replaces them (an admin client with the `gatehouse:admin` scope, docs/admin-api.md).',
    '',
    '*Guessable* means an estimated entropy below 128 bits (src/config/secret-strength.ts): the symbols',
    'that do not repeat an earlier run of 4 or more, times the bits per symbol (the smaller of the',
    'alphabet the value draws from and its own Shannon entropy). Repeating or padding a placeholder',
    '(`changemechangeme…`, `aaaa…`) adds nothing. `openssl rand -base64 32` (about 200 bits) or',
    '`openssl rand -hex 32` pass; 32 hex characters (just under 128) do not.',
    '',
    'Production starts, with a warning on stderr, when dynamic client registration is open',
    '(`registration.enabled` with no `registration.initialAccessTokens`).',
    '',
    'In development mode a missing `kek` is generated into `<dataDir>/kek` (mode 0600) with a warning.',
    '',
    '## Settings',
    '',
    '| Path | Type | Default | Env | Description |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
