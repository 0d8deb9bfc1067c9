import { resolveSinks } from './event-sinks.ts';
import { claimsConfigProblems } from './claims-config.ts';
import { readFile } from 'node:fs/promises';
import { GatehouseError } from '../core/errors.ts';
import { readEnv, RETIRED_ADMIN_TOKEN, type Env } from './env.ts';
import { isLocalEntry, parseAllowEntry } from './outbound-allow.ts';
import { localeSettingsProblems } from '../http/pages/messages/catalogue.ts';
import { byteSecretBits, MIN_SECRET_BITS, textSecretBits } from './secret-strength.ts';
import { configSchema, type Config, type ConfigInput } from './schema.ts';

export { ENV_OVERRIDES } from './env.ts';

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let obj = target;
  for (const k of keys.slice(0, -1)) {
    const next = obj[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) obj[k] = {};
    obj = obj[k] as Record<string, unknown>;
  }
  obj[keys[keys.length - 1]!] = value;
}

export async function readConfigFile(path: string): Promise<ConfigInput> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new GatehouseError('GH_CONFIG_INVALID', `cannot read config file ${path}: ${(e as Error).message}`);
  }
  try {
    // The YAML parser loads only for a YAML file (a JSON config, or none, never needs it).
    const parsed: unknown = /\.ya?ml$/i.test(path) ? (await import('yaml')).parse(text) : JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('top level must be an object');
    return parsed as ConfigInput;
  } catch (e) {
    throw new GatehouseError('GH_CONFIG_INVALID', `config file ${path} is not valid: ${(e as Error).message}`);
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Stores that keep nothing across a restart: every client, key, user and token is lost. */
const VOLATILE_STORES = new Set(['memory:', 'sqlite::memory:']);

export function decodeKek(kek: string): Buffer | null {
  const b = Buffer.from(kek.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return b.length === 32 ? b : null;
}

/** A KEK is weak when it is not 32 bytes or its bytes estimate below MIN_SECRET_BITS (secret-strength.ts). */
export function isWeakKek(kek: string | undefined): boolean {
  if (!kek) return true;
  const b = decodeKek(kek);
  return !b || byteSecretBits(b) < MIN_SECRET_BITS;
}

const weakSecret = (value: string) => textSecretBits(value) < MIN_SECRET_BITS;
const SECRET_HINT = `needs at least ${MIN_SECRET_BITS} bits of estimated entropy (repeats and padding add none), e.g. \`openssl rand -base64 32\``;

/**
 * A CORS origin is compared with the browser's `Origin` header (RFC 6454 §6.1 serialisation:
 * scheme "://" host [":" port], nothing else), so anything else would never match: say the form.
 */
function corsOriginProblem(o: string): string | null {
  const shown = JSON.stringify(o);
  if (o.includes('*')) return `${shown} is not allowed: list each origin that may call, e.g. https://app.example.com`;
  let u: URL | null = null;
  try {
    u = new URL(o);
  } catch {
    /* below */
  }
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:') || !u.host) {
    const host = (o.includes('://') ? o.slice(o.indexOf('://') + 3) : o).split('/')[0];
    return `${shown} is not an origin: write the scheme and host, e.g. https://${host || 'example.com'}`;
  }
  return u.origin === o ? null : `${shown} is not an origin (no path, no trailing slash, lower-case host): write ${u.origin}`;
}

/** Cross-field rules zod cannot express alone; returns problems as `path: message`. */
export function semanticProblems(c: Config): string[] {
  const out: string[] = [];
  const iss = new URL(c.issuer);
  if (iss.search || iss.hash) out.push('issuer: must not have a query or fragment (RFC 8414 §2)');
  if (iss.protocol !== 'https:' && iss.protocol !== 'http:') out.push('issuer: must be an https URL');
  if (!c.keys.algorithms.includes(c.tokens.accessTokenSigningAlg))
    out.push(`keys.algorithms: must include tokens.accessTokenSigningAlg (${c.tokens.accessTokenSigningAlg})`);
  if (!c.keys.algorithms.includes(c.tokens.idTokenSigningAlg))
    out.push(`keys.algorithms: must include tokens.idTokenSigningAlg (${c.tokens.idTokenSigningAlg})`);
  const longestTtl = Math.max(c.tokens.accessTokenTtl, ...c.resources.map((r) => r.accessTokenTtl ?? 0));
  if (c.keys.gracePeriod < longestTtl)
    out.push(`keys.gracePeriod: must be at least the longest access token lifetime (${longestTtl}s), or tokens issued before a rotation stop verifying`);
  if (c.tokens.subjectType === 'pairwise' && !c.tokens.pairwiseSalt) out.push('tokens.pairwiseSalt: required when tokens.subjectType is pairwise');
  if (c.session.idleTtl > c.session.absoluteTtl) out.push('session.idleTtl: must not exceed session.absoluteTtl');
  if (c.kek !== undefined && !decodeKek(c.kek)) out.push('kek: must be 32 bytes, base64 or base64url encoded');
  if (c.workers !== 1 && VOLATILE_STORES.has(c.database.url))
    out.push(`workers: several worker processes need a shared store; ${c.database.url} lives in one process (use sqlite:PATH, postgres:// or mysql://)`);
  // docs/jwt-bearer.md: our own tokens are never external assertions (RFC 8725 §3.8: an issuer
  // accepts as external only what others issued); listing ourselves would only mislead.
  c.trustedIssuers.forEach((t, i) => {
    if (t.issuer.replace(/\/$/, '') === c.issuer.replace(/\/$/, ''))
      out.push(`trustedIssuers.${i}.issuer: is this server's own issuer; its own tokens are never accepted as external JWTs`);
  });
  out.push(...localeSettingsProblems(c.pages));
  out.push(...claimsConfigProblems(c));
  c.kekPrevious.forEach((k, i) => {
    if (!decodeKek(k)) out.push(`kekPrevious.${i}: must be 32 bytes, base64 or base64url encoded`);
  });
  if (c.kekPrevious.length && c.kek === undefined) out.push('kekPrevious: needs kek (GATEHOUSE_KEK), the KEK that seals from now on');
  c.cors.origins.forEach((o, i) => {
    const problem = corsOriginProblem(o);
    if (problem) out.push(`cors.origins.${i}: ${problem}`);
  });
  c.outbound.allowHosts.forEach((h, i) => {
    const entry = parseAllowEntry(h);
    if (!entry) out.push(`outbound.allowHosts.${i}: must be a hostname, an IP address or a CIDR range`);
    // S19: in production the guarded fetcher never reaches this machine, even when asked to.
    else if (c.env === 'production' && isLocalEntry(entry))
      out.push(`outbound.allowHosts.${i}: production refuses a loopback or unspecified destination (${h}); outbound requests must not reach this machine`);
  });
  out.push(...resolveSinks(c).problems);
  if (c.env === 'production') {
    if (isWeakKek(c.kek)) out.push('kek: production needs a strong 32-byte key-encryption key (GATEHOUSE_KEK), e.g. `openssl rand -base64 32`');
    if (iss.protocol === 'http:' && !LOOPBACK.has(iss.hostname)) out.push('issuer: production refuses an http:// issuer that is not loopback; use https');
    c.registration.initialAccessTokens.forEach((t, i) => {
      if (weakSecret(t)) out.push(`registration.initialAccessTokens.${i}: production refuses a guessable initial access token; it ${SECRET_HINT}`);
    });
    if (VOLATILE_STORES.has(c.database.url))
      out.push(
        `database.url: production refuses the in-memory store (${c.database.url}), which loses every client, key, user and token at restart; set GATEHOUSE_DATABASE_URL to sqlite:PATH, postgres://… or mysql://…`,
      );
  }
  return out;
}

/** Settings production accepts but an operator should know about; each `path: message`. */
export function configWarnings(c: Config): string[] {
  const out: string[] = [];
  if (c.env === 'production' && c.registration.enabled && c.registration.initialAccessTokens.length === 0) {
    out.push(
      'registration.enabled: OPEN dynamic client registration: anyone who reaches /register can create a client. Set GATEHOUSE_REGISTRATION_INITIAL_ACCESS_TOKEN (registration.initialAccessTokens) to require a token, or GATEHOUSE_REGISTRATION_ENABLED=false',
    );
  }
  return out;
}

/**
 * Builds the frozen config: file (optional) → `GATEHOUSE_*` env → explicit overrides.
 * Throws GH_CONFIG_INVALID listing every problem with its dotted path.
 */
export async function loadConfig(opts: { file?: string; env?: Env; overrides?: ConfigInput; warn?: (line: string) => void } = {}): Promise<Config> {
  const raw: Record<string, unknown> = opts.file ? { ...(await readConfigFile(opts.file)) } : {};
  const fromEnv = readEnv(opts.env ?? process.env);
  for (const w of fromEnv.warnings) opts.warn?.(`warning: ${w}`);
  for (const [path, value] of fromEnv.values) setPath(raw, path, value);
  const merged = deepMerge(raw, (opts.overrides ?? {}) as Record<string, unknown>);
  // Without an explicit issuer, development defaults to this machine on the configured port
  // (production refuses a missing issuer in buildConfig).
  if (merged.issuer === undefined && merged.env !== 'production' && typeof merged.port === 'number' && merged.port > 0 && merged.port <= 65535)
    merged.issuer = `http://localhost:${merged.port}`;
  if (fromEnv.problems.length) {
    // Report the bad variables together with whatever else is wrong, not instead of it.
    let rest = '';
    try {
      buildConfig(merged);
    } catch (e) {
      if (e instanceof GatehouseError) rest = `\n${e.message.replace(/^invalid configuration:\n/, '')}`;
    }
    throw new GatehouseError('GH_CONFIG_INVALID', `invalid configuration:\n${fromEnv.problems.map((p) => `  ${p}`).join('\n')}${rest}`);
  }
  const config = buildConfig(merged);
  for (const w of configWarnings(config)) opts.warn?.(`warning: ${w}`);
  return config;
}

export function buildConfig(input: ConfigInput | Record<string, unknown>): Config {
  if (isPlain(input) && 'adminToken' in input) {
    throw new GatehouseError('GH_CONFIG_INVALID', `invalid configuration:\n  adminToken: ${RETIRED_ADMIN_TOKEN}`);
  }
  const r = configSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new GatehouseError('GH_CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`);
  }
  const problems = semanticProblems(r.data);
  // Production never guesses its own name: a defaulted issuer would be wrong in every token.
  if (r.data.env === 'production' && (input as Record<string, unknown>)['issuer'] === undefined) {
    problems.unshift(
      'issuer: production needs an explicit issuer (GATEHOUSE_ISSUER), the https URL clients use, e.g. https://id.example.com; it is not derived from host and port',
    );
  }
  if (problems.length) {
    throw new GatehouseError('GH_CONFIG_INVALID', `invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  return deepFreeze(r.data);
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlain(prev) && isPlain(v) ? deepMerge(prev, v) : v;
  }
  return out;
}
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
