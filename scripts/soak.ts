/**
 * `npm run soak` (issue #10): two Gatehouse instances (child processes, production mode, the CLI's
 * `serve`) on one fresh database of the PostgreSQL server (gh_soak_<random>, dropped afterwards)
 * and Redis (random key prefix, deleted afterwards). The load generator alternates between the
 * two instances per request, as a round-robin load balancer without sticky sessions would, and
 * runs a mix: client_credentials with JWT and with opaque access tokens, the authorization code
 * flow of a browser with an existing session (authorize → code → token), refresh with rotation
 * and introspection of opaque tokens.
 *
 *   npm run soak                      # 10 minutes at half the quickly measured maximum
 *   npm run soak -- --duration 30     # a smoke run
 *   npm run soak -- --rate 400 --duration 120
 *
 * Goals (exit 1 when one is missed): zero errors (every response is the one the scenario expects)
 * and RSS growth of each instance under 10 % from the end of the warm-up to the end of the run.
 * Reports p50/p99 per scenario and writes bench/results/soak-<timestamp>.json.
 * Options: --rate N (requests/s over both instances; default half of a measured maximum),
 * --duration S (600), --warmup S (default duration/6, 5–30 s), --postgres URL
 * (GATEHOUSE_TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/test), --redis URL
 * (GATEHOUSE_TEST_REDIS_URL or redis://127.0.0.1:6379/0), --out DIR (bench/results).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { FlowAgent, firstForm, type FlowResponse } from '../bench/lib/flow-agent.ts';
import { gitCommit, stamp } from '../bench/lib/machine.ts';
import { freePort, rssMiB, runNode, spawnNode, waitFor200, type Child } from '../bench/lib/process.ts';
import { parseCreatedClient } from '../bench/servers/gatehouse.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSX = import.meta.resolve('tsx');
const CLI_MAIN = new URL('../src/cli/main.ts', import.meta.url).href;
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const SCOPE = 'api:read';
const OIDC_SCOPE = 'openid offline_access api:read';
const RESOURCE_JWT = 'https://api.soak.example/jwt';
const RESOURCE_OPAQUE = 'https://api.soak.example/opaque';
const USERNAME = 'soak-user';
const PASSWORD = 'soak-password-correct-horse-battery';
const MAX_IN_FLIGHT = 64;
const RSS_GOAL = 0.1;

const log = (line: string) => process.stdout.write(`${line}\n`);

const { values: opts } = parseArgs({
  options: {
    rate: { type: 'string' },
    duration: { type: 'string', default: '600' },
    warmup: { type: 'string' },
    postgres: { type: 'string', default: process.env.GATEHOUSE_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test' },
    redis: { type: 'string', default: process.env.GATEHOUSE_TEST_REDIS_URL || 'redis://127.0.0.1:6379/0' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  log('usage: npm run soak -- [--rate N] [--duration S] [--warmup S] [--postgres URL] [--redis URL] [--out DIR]');
  process.exit(0);
}
const durationS = Number(opts.duration);
const warmupS = opts.warmup !== undefined ? Number(opts.warmup) : Math.min(30, Math.max(5, Math.round(durationS / 6)));
if (!(durationS > 0) || !(warmupS >= 0)) throw new Error('--duration and --warmup must be positive numbers of seconds');

const cleanups: (() => Promise<void>)[] = [];
async function cleanup(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
}
process.once('SIGINT', () => {
  log('\ninterrupted: stopping instances, dropping the database');
  void cleanup().then(() => process.exit(130));
});

// ---------- setup ----------

interface ClientFix {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly basic: string;
}

const basicOf = (id: string, secret: string) => {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
};

async function adminQuery(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function setup() {
  const dbName = `gh_soak_${randomBytes(5).toString('hex')}`;
  await adminQuery(opts.postgres, `create database ${dbName}`);
  cleanups.push(() => adminQuery(opts.postgres, `drop database if exists ${dbName} with (force)`));
  const dbUrl = new URL(opts.postgres);
  dbUrl.pathname = `/${dbName}`;
  const keyPrefix = `gh-soak-${randomBytes(5).toString('hex')}:`;
  cleanups.push(async () => {
    const r = new Redis(opts.redis, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await r.del(...keys);
      } while (cursor !== '0');
    } finally {
      r.disconnect();
    }
  });
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-soak-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const configFile = join(dir, 'gatehouse.json');
  const resource = (identifier: string, accessTokenFormat: 'jwt' | 'opaque') => ({
    identifier,
    scopes: [SCOPE, 'openid', 'offline_access'],
    accessTokenFormat,
    accessTokenTtl: 3600,
  });
  await writeFile(
    configFile,
    JSON.stringify({
      database: { url: dbUrl.toString(), poolSize: 10 },
      redis: { url: opts.redis, keyPrefix },
      tokens: { accessTokenTtl: 3600, accessTokenSigningAlg: 'ES256', idTokenSigningAlg: 'ES256' },
      resources: [resource(RESOURCE_JWT, 'jwt'), resource(RESOURCE_OPAQUE, 'opaque')],
      requireResourceRegistration: true,
      // One load generator on 127.0.0.1: the limits stay on (their cost is part of the load) but far above it.
      login: { maxAttempts: 1_000_000, userAddressMaxAttempts: 1_000_000, maxInFlightPerAddress: 1000, userDelayStart: 0, userDelayMax: 0 },
      rateLimits: {
        ...Object.fromEntries(
          ['token', 'par', 'deviceAuthorization', 'introspection', 'revocation'].map((e) => [e, { perAddress: 1_000_000_000, perClient: 1_000_000_000 }]),
        ),
        authorization: { perAddress: 1_000_000_000 },
        userinfo: { perAddress: 1_000_000_000 },
      },
    }),
  );
  const kek = randomBytes(32).toString('base64');
  const issuerPort = await freePort();
  const env = (port: number): NodeJS.ProcessEnv => ({
    ...process.env,
    NODE_ENV: 'production',
    GATEHOUSE_ENV: 'production',
    GATEHOUSE_KEK: kek,
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_PORT: String(port),
    // One issuer for both instances, as behind a load balancer (the soak addresses each instance directly).
    GATEHOUSE_ISSUER: `http://127.0.0.1:${issuerPort}`,
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_LOG_LEVEL: 'warn',
  });
  const cliArgs = (args: readonly string[]) => [
    '--import',
    TSX,
    '--input-type=module',
    '-e',
    `const { main } = await import(${JSON.stringify(CLI_MAIN)}); process.exitCode = await main(${JSON.stringify(args)});`,
  ];
  const cli = (args: readonly string[], stdin?: string) => runNode(cliArgs([...args, '--config', configFile]), env(issuerPort), ROOT, stdin);

  log(`soak: database ${dbName}, Redis key prefix ${keyPrefix}`);
  // Migrations run once here, before the instances start side by side.
  const ccClient = async (format: 'jwt' | 'opaque'): Promise<ClientFix> => {
    const out = await cli([
      'clients',
      'create',
      '--name',
      `soak-${format}`,
      '--grant-types',
      'client_credentials',
      '--scopes',
      SCOPE,
      '--token-endpoint-auth-method',
      'client_secret_basic',
      '--access-token-format',
      format,
      '--json',
    ]);
    const { clientId, clientSecret } = parseCreatedClient(out);
    return { clientId, clientSecret, basic: basicOf(clientId, clientSecret) };
  };
  const jwt = await ccClient('jwt');
  const opaque = await ccClient('opaque');
  await cli(['users', 'create', '--username', USERNAME, '--password-stdin', '--json'], `${PASSWORD}\n`);
  const webOut = await cli([
    'clients',
    'create',
    '--name',
    'soak-web',
    '--grant-types',
    'authorization_code,refresh_token',
    '--response-types',
    'code',
    '--redirect-uris',
    REDIRECT_URI,
    '--scopes',
    OIDC_SCOPE.split(' ').join(','),
    '--token-endpoint-auth-method',
    'client_secret_basic',
    '--first-party',
    '--json',
  ]);
  const w = parseCreatedClient(webOut);
  const web: ClientFix = { ...w, basic: basicOf(w.clientId, w.clientSecret) };

  const instances: { child: Child; origin: string; agent: FlowAgent }[] = [];
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const child = spawnNode(cliArgs(['serve', '--config', configFile]), env(port), false, ROOT);
    cleanups.push(() => child.stop(15_000));
    const origin = `http://127.0.0.1:${port}`;
    await waitFor200(`${origin}/ready`, child.spawnedAt, 60_000, child);
    const agent = new FlowAgent(origin, MAX_IN_FLIGHT);
    cleanups.push(async () => agent.close());
    instances.push({ child, origin, agent });
  }
  log(`soak: instances ${instances.map((x) => `${x.origin} (pid ${x.child.pid})`).join(', ')}`);
  return { jwt, opaque, web, instances, dbName, issuerHost: `127.0.0.1:${issuerPort}` };
}

// ---------- scenarios ----------

type Instance = Awaited<ReturnType<typeof setup>>['instances'][number];
type World = Awaited<ReturnType<typeof setup>>;
const FORM = 'application/x-www-form-urlencoded';
const b64url = (b: Buffer) => b.toString('base64url');

function json(r: FlowResponse): Record<string, unknown> | null {
  try {
    return JSON.parse(r.body) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** A browser with a session cookie; any instance may serve any of its requests. */
/**
 * One request to an instance, with the issuer's Host: each instance answers a foreign Host with a
 * redirect to the issuer (RFC 9110 canonical host), as it would behind a load balancer that keeps Host.
 */
function send(world: World, inst: Instance, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<FlowResponse> {
  return inst.agent.send(method, path, { ...headers, host: world.issuerHost }, body);
}

class Browser {
  readonly cookies = new Map<string, string>();
  readonly world: World;
  constructor(world: World) {
    this.world = world;
  }
  async send(inst: Instance, method: 'GET' | 'POST', path: string, body?: Record<string, string>): Promise<FlowResponse> {
    const headers: Record<string, string> = { accept: 'text/html' };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body) headers['content-type'] = FORM;
    const r = await send(this.world, inst, method, path, headers, body ? new URLSearchParams(body).toString() : undefined);
    for (const line of (r as { setCookie?: string[] }).setCookie ?? []) {
      const pair = line.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return r;
  }
}

/** authorize → (sign-in when there is no session) → code → token. Returns the token response or the problem. */
async function codeFlow(world: World, pick: () => Instance, browser: Browser): Promise<Record<string, unknown> | string> {
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(12));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: world.web.clientId,
    redirect_uri: REDIRECT_URI,
    scope: OIDC_SCOPE,
    state,
    nonce: b64url(randomBytes(12)),
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    resource: RESOURCE_JWT,
  });
  let r = await browser.send(pick(), 'GET', `/authorize?${q}`);
  for (let hops = 0; hops < 6; hops++) {
    if (r.status >= 300 && r.status < 400 && r.location) {
      if (r.location.startsWith(REDIRECT_URI)) break;
      const next = new URL(r.location, 'http://x');
      r = await browser.send(pick(), 'GET', next.pathname + next.search);
      continue;
    }
    if (r.status !== 200) return `authorize answered ${r.status}: ${r.body.slice(0, 160)}`;
    const login = firstForm(r.body);
    if (!login) return 'a page without a form';
    const action = new URL(login.action || '/', 'http://x');
    r = await browser.send(pick(), 'POST', action.pathname + action.search, { ...login.fields, username: USERNAME, password: PASSWORD });
  }
  if (!r.location?.startsWith(REDIRECT_URI)) return `no redirect to the client: ${r.status} ${r.location} ${r.body.slice(0, 160)}`;
  const cb = new URL(r.location).searchParams;
  const code = cb.get('code');
  if (cb.get('state') !== state || !code) return `bad callback ${r.location.slice(0, 160)}`;
  const t = await send(
    world,
    pick(),
    'POST',
    '/token',
    { authorization: world.web.basic, 'content-type': FORM, accept: 'application/json' },
    new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, resource: RESOURCE_JWT }).toString(),
  );
  const body = t.status === 200 ? json(t) : null;
  if (!body || typeof body.access_token !== 'string' || typeof body.id_token !== 'string' || typeof body.refresh_token !== 'string')
    return `token answered ${t.status}: ${t.body.slice(0, 160)}`;
  return body;
}

interface Scenario {
  readonly id: string;
  readonly weight: number;
  /** null = success; a string = the error. */
  run(pick: () => Instance): Promise<string | null>;
}

async function scenarios(world: World): Promise<Scenario[]> {
  let rr = 0;
  const setupPick = () => world.instances[rr++ % 2]!;
  // Browsers signed in once (sessions in the store), and refresh chains from their first flows.
  const browsers: Browser[] = [];
  const chains: string[] = [];
  for (let i = 0; i < 16; i++) {
    const b = new Browser(world);
    const out = await codeFlow(world, setupPick, b);
    if (typeof out === 'string') throw new Error(`setup sign-in failed: ${out}`);
    browsers.push(b);
    chains.push(String(out.refresh_token));
  }
  const opaqueTokens: string[] = [];
  const cc = (client: ClientFix, resource: string, keep?: string[]) => async (pick: () => Instance) => {
    const r = await send(
      world,
      pick(),
      'POST',
      '/token',
      { authorization: client.basic, 'content-type': FORM, accept: 'application/json' },
      new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE, resource }).toString(),
    );
    const body = r.status === 200 ? json(r) : null;
    if (!body || typeof body.access_token !== 'string') return `token answered ${r.status}: ${r.body.slice(0, 160)}`;
    if (keep) {
      keep.push(body.access_token);
      if (keep.length > 1000) keep.splice(0, 500);
    }
    return null;
  };
  // Seed the introspection pool.
  for (let i = 0; i < 20; i++) await cc(world.opaque, RESOURCE_OPAQUE, opaqueTokens)(setupPick);
  let b = 0;
  return [
    { id: 'cc-jwt', weight: 30, run: cc(world.jwt, RESOURCE_JWT) },
    { id: 'cc-opaque', weight: 20, run: cc(world.opaque, RESOURCE_OPAQUE, opaqueTokens) },
    {
      id: 'introspect-opaque',
      weight: 25,
      async run(pick) {
        const token = opaqueTokens[Math.floor(Math.random() * opaqueTokens.length)]!;
        const r = await send(
          world,
          pick(),
          'POST',
          '/introspect',
          { authorization: world.opaque.basic, 'content-type': FORM, accept: 'application/json' },
          new URLSearchParams({ token }).toString(),
        );
        const body = r.status === 200 ? json(r) : null;
        if (!body || body.active !== true) return `introspect answered ${r.status}: ${r.body.slice(0, 160)}`;
        return null;
      },
    },
    {
      id: 'refresh',
      weight: 10,
      async run(pick) {
        // Each chain is held by one request at a time (a client never races its own refresh token).
        const rt = chains.shift();
        if (rt === undefined) return null;
        let next = rt;
        try {
          const r = await send(
            world,
            pick(),
            'POST',
            '/token',
            { authorization: world.web.basic, 'content-type': FORM, accept: 'application/json' },
            new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, resource: RESOURCE_JWT }).toString(),
          );
          const body = r.status === 200 ? json(r) : null;
          if (!body || typeof body.refresh_token !== 'string') return `refresh answered ${r.status}: ${r.body.slice(0, 160)}`;
          next = body.refresh_token;
          return null;
        } finally {
          chains.push(next);
        }
      },
    },
    {
      id: 'code-flow-session',
      weight: 15,
      async run(pick) {
        const out = await codeFlow(world, pick, browsers[b++ % browsers.length]!);
        return typeof out === 'string' ? out : null;
      },
    },
  ];
}

// ---------- load ----------

interface Stats {
  ok: number;
  errors: number;
  samples: string[];
  ms: number[];
}

function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs the mix for `seconds`: at `rate` per second (open loop, bounded in-flight) or, without a rate, as fast as `MAX_IN_FLIGHT` workers go. */
async function drive(
  world: World,
  mix: Scenario[],
  seconds: number,
  rate: number | null,
  stats: Map<string, Stats>,
): Promise<{ sent: number; behind: number }> {
  const total = mix.reduce((s, x) => s + x.weight, 0);
  const choose = () => {
    let r = Math.random() * total;
    for (const s of mix) if ((r -= s.weight) < 0) return s;
    return mix[0]!;
  };
  let rr = 0;
  const pick = () => world.instances[rr++ % world.instances.length]!;
  const one = async () => {
    const s = choose();
    const st = stats.get(s.id) ?? { ok: 0, errors: 0, samples: [], ms: [] };
    stats.set(s.id, st);
    const t0 = performance.now();
    let problem: string | null;
    try {
      problem = await s.run(pick);
    } catch (e) {
      problem = `request failed: ${(e as Error).message}`;
    }
    st.ms.push(performance.now() - t0);
    if (problem === null) st.ok++;
    else {
      st.errors++;
      if (st.samples.length < 5) st.samples.push(problem);
    }
  };
  const end = performance.now() + seconds * 1000;
  let sent = 0;
  let behind = 0;
  if (rate === null) {
    await Promise.all(
      Array.from({ length: MAX_IN_FLIGHT }, async () => {
        while (performance.now() < end) {
          sent++;
          await one();
        }
      }),
    );
    return { sent, behind };
  }
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (sent < due) {
      if (inFlight.size >= MAX_IN_FLIGHT) {
        // The instances fall behind the rate: skipped, counted (a missed goal when it happens a lot).
        behind += due - sent;
        sent = due;
        break;
      }
      sent++;
      const p = one().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await delay(5);
  }
  await Promise.all(inFlight);
  return { sent: sent - behind, behind };
}

function summarize(stats: Map<string, Stats>, seconds: number) {
  return Object.fromEntries(
    [...stats].map(([id, s]) => {
      const sorted = [...s.ms].sort((a, b) => a - b);
      return [
        id,
        {
          requests: s.ok + s.errors,
          errors: s.errors,
          perSecond: Math.round(((s.ok + s.errors) / seconds) * 10) / 10,
          p50Ms: Math.round(percentile(sorted, 50) * 10) / 10,
          p99Ms: Math.round(percentile(sorted, 99) * 10) / 10,
          errorSamples: s.samples,
        },
      ];
    }),
  );
}

async function main(): Promise<number> {
  const began = new Date();
  const world = await setup();
  const mix = await scenarios(world);

  let rate = opts.rate !== undefined ? Number(opts.rate) : null;
  let measuredMax: number | null = null;
  if (rate === null) {
    const probe = new Map<string, Stats>();
    await drive(world, mix, 3, null, new Map()); // JIT and pools warm
    const { sent } = await drive(world, mix, 8, null, probe);
    measuredMax = Math.round(sent / 8);
    const probeErrors = [...probe.values()].reduce((s, x) => s + x.errors, 0);
    rate = Math.max(1, Math.floor(measuredMax / 2));
    log(`soak: measured maximum ${measuredMax} requests/s (${probeErrors} errors at saturation); soaking at ${rate}/s`);
  }

  log(`soak: warm-up ${warmupS} s at ${rate}/s`);
  await drive(world, mix, warmupS, rate, new Map());
  const rssStart = await Promise.all(world.instances.map((i) => rssMiB(i.child.pid)));
  const rssTrace: { atS: number; mib: number[] }[] = [{ atS: 0, mib: rssStart }];
  log(`soak: ${durationS} s at ${rate}/s; RSS after warm-up ${rssStart.map((m) => `${m.toFixed(1)} MiB`).join(', ')}`);
  const stats = new Map<string, Stats>();
  const t0 = performance.now();
  const sampler = setInterval(() => {
    void Promise.all(world.instances.map((i) => rssMiB(i.child.pid).catch(() => Number.NaN))).then((mib) => {
      const atS = Math.round((performance.now() - t0) / 1000);
      rssTrace.push({ atS, mib });
      const done = [...stats.values()].reduce((s, x) => s + x.ok + x.errors, 0);
      const errors = [...stats.values()].reduce((s, x) => s + x.errors, 0);
      log(`  ${atS} s: ${done} requests, ${errors} errors, RSS ${mib.map((m) => m.toFixed(1)).join(' / ')} MiB`);
    });
  }, 10_000);
  const { sent, behind } = await drive(world, mix, durationS, rate, stats);
  clearInterval(sampler);
  const rssEnd = await Promise.all(world.instances.map((i) => rssMiB(i.child.pid)));
  rssTrace.push({ atS: durationS, mib: rssEnd });
  const alive = world.instances.every((i) => i.child.proc.exitCode === null);

  const scenariosOut = summarize(stats, durationS);
  const errors = Object.values(scenariosOut).reduce((s, x) => s + x.errors, 0);
  const growth = rssStart.map((s, i) => (rssEnd[i]! - s) / s);
  const goals = {
    noErrors: { met: errors === 0 && alive, errors, instancesAlive: alive },
    rssGrowthUnder10Percent: { met: growth.every((g) => g < RSS_GOAL), growthPercent: growth.map((g) => Math.round(g * 1000) / 10) },
    keptTheRate: { met: behind <= sent * 0.01, sent, behind, note: 'requests skipped because 64 were in flight (the instances fell behind)' },
  };
  const result = {
    kind: 'soak',
    startedAt: began.toISOString(),
    finishedAt: new Date().toISOString(),
    commit: gitCommit(ROOT),
    options: { rate, measuredMax, durationS, warmupS, postgres: new URL(opts.postgres).host, redis: new URL(opts.redis).host },
    instances: 2,
    scenarios: scenariosOut,
    rssMiB: { afterWarmup: rssStart, end: rssEnd, trace: rssTrace },
    goals,
  };
  await mkdir(opts.out, { recursive: true });
  const file = join(opts.out, `soak-${stamp(began)}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);

  log('\nscenario              req/s    p50 ms   p99 ms   errors');
  for (const [id, s] of Object.entries(scenariosOut))
    log(`${id.padEnd(20)} ${String(s.perSecond).padStart(6)} ${String(s.p50Ms).padStart(9)} ${String(s.p99Ms).padStart(8)} ${String(s.errors).padStart(8)}`);
  for (const [id, s] of Object.entries(scenariosOut)) for (const e of s.errorSamples) log(`  ${id}: ${e}`);
  log(`RSS growth after warm-up: ${goals.rssGrowthUnder10Percent.growthPercent.map((g) => `${g} %`).join(', ')}`);
  for (const [name, g] of Object.entries(goals)) log(`goal ${name}: ${g.met ? 'met' : 'MISSED'}`);
  log(`results: ${file}`);
  return Object.values(goals).every((g) => g.met) ? 0 : 1;
}

main().then(
  async (code) => {
    await cleanup();
    process.exitCode = code;
  },
  async (e: unknown) => {
    await cleanup();
    process.stderr.write(`soak: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
