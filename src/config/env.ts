import { readFileSync } from 'node:fs';
import { isCidrOrAddress } from './cidr.ts';
import { closestName } from './closest.ts';

/** Why GATEHOUSE_ADMIN_TOKEN (and `adminToken`) are refused, and what replaces them. */
export const RETIRED_ADMIN_TOKEN =
  'the static admin token was removed: the admin API (/admin/api/v1) takes OAuth access tokens with the gatehouse:admin scope. Remove the variable; create an admin client once with `gatehouse clients create --name automation --grant-types client_credentials --scopes gatehouse:admin` and get tokens with client_credentials (docs/admin-api.md)';

/**
 * `GATEHOUSE_*` environment variables: each maps to one dotted config path and is read by one
 * reader. A reader returns the value, or `{ invalid }` saying what the variable must hold; an
 * invalid variable is reported under its own name and left out of the config, so it does not
 * cascade into errors about values derived from it (the default issuer follows the port).
 */
export type Env = Readonly<Record<string, string | undefined>>;
export interface Invalid {
  readonly invalid: string;
}
type Reader = (v: string) => unknown;

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

const str: Reader = String;
const int: Reader = (v) => (/^\d+$/.test(v.trim()) ? Number(v.trim()) : { invalid: `must be a whole number (got "${v}")` });
const bool: Reader = (v) => {
  const k = v.trim().toLowerCase();
  return TRUE.has(k) ? true : FALSE.has(k) ? false : { invalid: `must be true/false, 1/0 or yes/no, in any case (got "${v}")` };
};
/** `false`/`true` (and the other boolean spellings), a hop count, or a comma list of proxy addresses / CIDR ranges. */
const trustProxy: Reader = (v) => {
  const k = v.trim().toLowerCase();
  if (TRUE.has(k) && k !== '1') return true;
  if (FALSE.has(k) && k !== '0') return false;
  if (/^\d+$/.test(k)) return Number(k) === 0 ? false : Number(k);
  const proxies = list(v) as string[];
  if (proxies.length && proxies.every(isCidrOrAddress)) return proxies;
  return { invalid: `must be false/true, a hop count, or a comma list of proxy addresses / CIDR ranges (got "${v}")` };
};
/** `auto` or a whole number of worker processes. */
const workers: Reader = (v) => (v.trim().toLowerCase() === 'auto' ? 'auto' : int(v));
const list: Reader = (v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Variable → dotted path and how to read the string. docs/config.md's *Env* column comes from here. */
export const ENV_OVERRIDES: readonly (readonly [string, string, Reader])[] = [
  ['GATEHOUSE_ENV', 'env', str],
  ['GATEHOUSE_ISSUER', 'issuer', str],
  ['GATEHOUSE_HOST', 'host', str],
  ['GATEHOUSE_PORT', 'port', int],
  ['GATEHOUSE_WORKERS', 'workers', workers],
  ['GATEHOUSE_DATA_DIR', 'dataDir', str],
  ['GATEHOUSE_DATABASE_URL', 'database.url', str],
  ['GATEHOUSE_DATABASE_AUTO_MIGRATE', 'database.autoMigrate', bool],
  ['GATEHOUSE_DATABASE_POOL_SIZE', 'database.poolSize', int],
  ['GATEHOUSE_DATABASE_CLIENT_CACHE_TTL_MS', 'database.clientCacheTtlMs', int],
  ['GATEHOUSE_KEK', 'kek', str],
  ['GATEHOUSE_KEK_PREVIOUS', 'kekPrevious', list],
  ['GATEHOUSE_LOG_LEVEL', 'log.level', str],
  ['GATEHOUSE_LOG_FORMAT', 'log.format', str],
  ['GATEHOUSE_ACCESS_TOKEN_FORMAT', 'tokens.accessTokenFormat', str],
  ['GATEHOUSE_ACCESS_TOKEN_TTL', 'tokens.accessTokenTtl', int],
  ['GATEHOUSE_KEYS_ROTATION_INTERVAL', 'keys.rotationInterval', int],
  ['GATEHOUSE_KEYS_REFRESH_INTERVAL', 'keys.refreshInterval', int],
  ['GATEHOUSE_CORS_ORIGINS', 'cors.origins', list],
  ['GATEHOUSE_REGISTRATION_ENABLED', 'registration.enabled', bool],
  ['GATEHOUSE_REGISTRATION_INITIAL_ACCESS_TOKEN', 'registration.initialAccessTokens', list],
  ['GATEHOUSE_PAIRWISE_SALT', 'tokens.pairwiseSalt', str],
  ['GATEHOUSE_REQUIRE_PAR', 'authorization.requirePar', bool],
  ['GATEHOUSE_PKCE_REQUIRED', 'authorization.pkceRequired', str],
  ['GATEHOUSE_TRUST_PROXY', 'http.trustProxy', trustProxy],
  ['GATEHOUSE_REDIS_URL', 'redis.url', str],
  ['GATEHOUSE_RATE_LIMITS_ENABLED', 'rateLimits.enabled', bool],
  ['GATEHOUSE_HTTP_BODY_LIMIT', 'http.bodyLimit', int],
  ['GATEHOUSE_SHUTDOWN_GRACE', 'http.shutdownGrace', int],
  ['GATEHOUSE_METRICS_ENABLED', 'metrics.enabled', bool],
  ['GATEHOUSE_OUTBOUND_ALLOW_HOSTS', 'outbound.allowHosts', list],
  ['GATEHOUSE_PURGE_INTERVAL', 'maintenance.purgeInterval', int],
  ['GATEHOUSE_EVENTS', 'events.urls', list],
];

/**
 * Secret-bearing variables. Each may instead be given as `<NAME>_FILE`, the path of a file holding
 * the value (the container convention: Docker/Compose/Kubernetes secrets are mounted as files, so
 * the secret never sits in the process environment or `docker inspect`). The file's content is the
 * value, without its trailing newline; setting both `X` and `X_FILE` is an error.
 */
export const FILE_VARIABLES: readonly string[] = [
  'GATEHOUSE_DATABASE_URL',
  'GATEHOUSE_KEK',
  'GATEHOUSE_REGISTRATION_INITIAL_ACCESS_TOKEN',
  'GATEHOUSE_PAIRWISE_SALT',
  'GATEHOUSE_REDIS_URL',
  // Sink URLs carry broker credentials (amqp://user:pass@…).
  'GATEHOUSE_EVENTS',
  'GATEHOUSE_KEK_PREVIOUS',
];

/** Reads `<name>_FILE`: the value, or `{ invalid }` naming the variable and the path (never the content). */
function readSecretFile(name: string, path: string): string | Invalid {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { invalid: `cannot read ${name}_FILE ${JSON.stringify(path)} (${code ?? (e as Error).message})` };
  }
  const value = text.replace(/\r?\n$/, '');
  return value === '' ? { invalid: `${name}_FILE ${JSON.stringify(path)} is empty` } : value;
}

/** Variables that are not settings: test harness knobs (`GATEHOUSE_TEST_*`, the browser path), the `--workers` primary's mark on its workers. */
const NOT_SETTINGS = /^GATEHOUSE_(TEST_\w*|CHROMIUM|WORKER_OF)$/;

/**
 * Variables that were settings once and are refused now (a clear start-up error instead of a
 * silently ignored variable): name → what to do instead.
 */
export const RETIRED_VARIABLES: Readonly<Record<string, string>> = {
  GATEHOUSE_ADMIN_TOKEN: RETIRED_ADMIN_TOKEN,
  GATEHOUSE_ADMIN_TOKEN_FILE: RETIRED_ADMIN_TOKEN,
};

export interface EnvReading {
  /** dotted path → value, for the variables that are set and valid */
  readonly values: readonly (readonly [string, unknown])[];
  /** `GATEHOUSE_X (path): must …` */
  readonly problems: readonly string[];
  /** unknown `GATEHOUSE_*` names, each with the closest known one */
  readonly warnings: readonly string[];
}

export function readEnv(env: Env): EnvReading {
  const values: [string, unknown][] = [];
  const problems: string[] = [];
  for (const [name, path, read] of ENV_OVERRIDES) {
    let v = env[name];
    const file = FILE_VARIABLES.includes(name) ? env[`${name}_FILE`] : undefined;
    if (file !== undefined && file !== '') {
      if (v !== undefined && v !== '') {
        problems.push(`${name} (${path}): set either ${name} or ${name}_FILE, not both`);
        continue;
      }
      const fromFile = readSecretFile(name, file);
      if (typeof fromFile !== 'string') {
        problems.push(`${name} (${path}): ${fromFile.invalid}`);
        continue;
      }
      v = fromFile;
    }
    if (v === undefined || v === '') continue;
    const value = read(v);
    if (typeof value === 'object' && value !== null && 'invalid' in value) problems.push(`${name} (${path}): ${(value as Invalid).invalid}`);
    else values.push([path, value]);
  }
  for (const [name, why] of Object.entries(RETIRED_VARIABLES)) if (env[name] !== undefined) problems.push(`${name}: ${why}`);
  const known = [...Object.keys(RETIRED_VARIABLES), ...ENV_OVERRIDES.map(([name]) => name), ...FILE_VARIABLES.map((name) => `${name}_FILE`)];
  const warnings = Object.keys(env)
    .filter((k) => k.startsWith('GATEHOUSE_') && !NOT_SETTINGS.test(k) && !known.includes(k))
    .sort()
    .map((k) => {
      const near = closestName(k, known);
      return `${k} is not a Gatehouse variable and is ignored${near ? `; did you mean ${near}?` : ''} (docs/config.md lists them)`;
    });
  return { values, problems, warnings };
}
