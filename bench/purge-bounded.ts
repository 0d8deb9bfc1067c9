/**
 * `npm run bench:purge` (issue #10, "Growth"): does the maintenance purge keep the tables bounded
 * under constant load? Gatehouse on a fresh PostgreSQL database (compiled CLI, production mode, as
 * in `npm run bench`) with short lifetimes and the purge every few seconds, driven at a constant
 * rate by a mix that creates every kind of expiring row:
 *
 * - client_credentials with opaque access tokens (a `tokens` row each, access token TTL 20 s);
 * - refresh with rotation over 20 chains (a refresh token row each, refresh TTL 60 s);
 * - password sign-ins with the code flow (a session, a code, a new grant whose chain replaces an
 *   old one, so grants come and go; session idle TTL 60 s, absolute 300 s, the least allowed);
 * - client_credentials with a fresh DPoP proof (a replay-cache row each, proof age 10 s + 10 s skew);
 * - a `log:` event sink (outbox rows, retention 20 s).
 *
 * Every response is checked. Row counts of tokens, grants (distinct grant ids of the tokens: the
 * grants' read model), sessions, outbox events and deliveries and the replay cache are sampled every
 * `--sample` seconds. The rule (exit 1 when missed): zero request errors; the load stayed constant
 * (requests sent in the second half of the window after the tokens' settle time ≥ 90 % of the
 * first half, ≤ 1 % skipped); and each table levels off: from its settle time (its rows' longest
 * lifetime + retention + 2 purge intervals) on, the largest count in the second half of the
 * samples is at most 10 % + 5 rows above the largest in the first half. A table still growing with
 * the load adds far more than that. A table whose settle time leaves fewer than 6 samples is
 * reported, not judged: sessions are purged at their absolute end (`expires_at`, 300 s at least),
 * not when idle, so they are judged from a run of 6 minutes on (e.g. `--minutes 8`). Writes
 * bench/results/purge-<timestamp>.json.
 *
 *   npm run bench:purge [-- --minutes 3] [--rate 150] [--no-build]
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { FlowAgent } from './lib/flow-agent.ts';
import { describeMachine, gitCommit, stamp } from './lib/machine.ts';
import { loadAverage } from './lib/process.ts';
import { codeFlow } from './scenarios/auth-code.ts';
import { basicAuth, FORM, form, parseJson } from './scenarios/http.ts';
import { createGatehouseTarget } from './servers/gatehouse.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const log = (l: string) => process.stdout.write(`${l}\n`);
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    rate: { type: 'string', default: '150' },
    'refresh-rate': { type: 'string', default: '30' },
    'dpop-rate': { type: 'string', default: '15' },
    'signin-rate': { type: 'string', default: '1' },
    sample: { type: 'string', default: '5' },
    'purge-interval': { type: 'string', default: '5' },
    retention: { type: 'string', default: '10' },
    'no-build': { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  log(
    'usage: npm run bench:purge -- [--minutes 3] [--rate 150] [--refresh-rate 30] [--dpop-rate 15] [--signin-rate 1] [--sample 5] [--purge-interval 5] [--retention 10] [--no-build] [--out DIR]',
  );
  process.exit(0);
}
const num = (k: keyof typeof values) => {
  const n = Number(values[k]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${k} must be a number ≥ 0`);
  return n;
};
const durationS = num('minutes') * 60;
const rates = { ccOpaque: num('rate'), refresh: num('refresh-rate'), dpop: num('dpop-rate'), signin: num('signin-rate') };
const sampleS = Math.max(1, num('sample'));
const purgeInterval = Math.max(1, Math.round(num('purge-interval')));
const retention = Math.round(num('retention'));

/** Lifetimes of this check (seconds); the minimums the configuration allows where it has one. */
const ACCESS_TTL = 20;
const REFRESH_TTL = 60;
const SESSION_IDLE = 60;
/** Sessions are purged at their absolute end (`expires_at`), not when idle: 300 s is the least allowed. */
const SESSION_ABSOLUTE = 300;
const PROOF_AGE = 10;
const DPOP_SKEW = 10;
const OUTBOX_RETENTION = 20;
const CHAINS = 20;
const MAX_IN_FLIGHT = 200;
/** How long a row of each table lives at most before the purge may take it (seconds). */
const LIFETIME = {
  tokens: Math.max(ACCESS_TTL, REFRESH_TTL),
  grants: Math.max(ACCESS_TTL, REFRESH_TTL),
  sessions: SESSION_ABSOLUTE,
  outbox_events: OUTBOX_RETENTION,
  outbox_deliveries: OUTBOX_RETENTION,
  replay: PROOF_AGE + DPOP_SKEW,
} as const;
const TABLES = Object.keys(LIFETIME) as (keyof typeof LIFETIME)[];
/** Each table is judged after its settle time: its rows' lifetime + retention + 2 purge intervals. */
const settleOf = (t: keyof typeof LIFETIME) => LIFETIME[t] + retention + 2 * purgeInterval;
/** The load is judged over the window every gated table shares (the tokens' settle time). */
const SETTLE_S = settleOf('tokens');
/** Sampled too, for the record (codes are single use and short; the audit log's retention is in days). */
const INFO_TABLES = ['codes', 'denylist', 'audit_log'] as const;
const GROWTH_LIMIT = 0.1;
const GROWTH_SLACK = 5;
const MIN_SAMPLES = 6;

type Sample = { t: number } & Record<(typeof TABLES)[number] | (typeof INFO_TABLES)[number], number>;

async function counts(c: pg.Client): Promise<Omit<Sample, 't'>> {
  const r = await c.query<Record<string, string>>(
    `select (select count(*) from tokens) as tokens,
            (select count(distinct grant_id) from tokens) as grants,
            (select count(*) from sessions) as sessions,
            (select count(*) from outbox_events) as outbox_events,
            (select count(*) from outbox_deliveries) as outbox_deliveries,
            (select count(*) from replay_cache) as replay,
            (select count(*) from authorization_codes) as codes,
            (select count(*) from token_denylist) as denylist,
            (select count(*) from audit_log) as audit_log`,
  );
  return Object.fromEntries(Object.entries(r.rows[0]!).map(([k, v]) => [k, Number(v)])) as Omit<Sample, 't'>;
}

/** An ES256 DPoP key with its encoded header (RFC 9449 §4.2); each proof gets a fresh jti. */
function dpopKey(): { privateKey: KeyObject; header: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  return { privateKey, header: Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } })).toString('base64url') };
}
function dpopProof(key: ReturnType<typeof dpopKey>, htu: string): string {
  const payload = Buffer.from(JSON.stringify({ jti: randomBytes(16).toString('base64url'), htm: 'POST', htu, iat: Math.floor(Date.now() / 1000) })).toString(
    'base64url',
  );
  const input = `${key.header}.${payload}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

interface Stream {
  readonly name: string;
  readonly rate: number;
  /** One request (or flow); resolves null when it answered as expected, else the problem. Null result = skipped (nothing free). */
  readonly once: () => Promise<string | null> | null;
  sent: number;
  ok: number;
  errors: number;
  skipped: number;
  firstProblem: string | null;
  /** Requests started per half of the steady window. */
  readonly sentAt: number[];
}

async function main(): Promise<number> {
  const began = new Date();
  const target = createGatehouseTarget({
    build: !values['no-build'],
    database: 'postgres',
    accessTokenTtl: ACCESS_TTL,
    extraConfig: {
      tokens: { refreshTokenTtl: REFRESH_TTL },
      session: { idleTtl: SESSION_IDLE, absoluteTtl: SESSION_ABSOLUTE },
      dpop: { proofMaxAge: PROOF_AGE, clockSkew: DPOP_SKEW },
      maintenance: { purgeInterval, expiredRetention: retention },
      events: { urls: ['log:'], retention: OUTBOX_RETENTION },
    },
    log: (l) => log(`  ${l}`),
  });
  const samples: Sample[] = [];
  try {
    await target.prepare!({});
    const r = await target.start({});
    const db = new pg.Client({ connectionString: String(target.info().databaseUrl) });
    await db.connect();
    try {
      const caps = r.capabilities;
      const opaque = caps.opaqueClient!;
      const jwt = caps.jwtClient!;
      const web = caps.webClient!;
      const user = caps.user!;
      const agent = new FlowAgent(r.origin, MAX_IN_FLIGHT);
      const signinAgent = new FlowAgent(r.origin, 8);
      const htu = `${r.origin}${caps.tokenPath}`;
      const keys = Array.from({ length: 8 }, dpopKey);
      const tokenHeaders = (c: typeof opaque) => ({ authorization: basicAuth(c), 'content-type': FORM, accept: 'application/json' });

      // The refresh chains, each from a sign-in; one request per chain at a time.
      log(`[setup] ${CHAINS} refresh chains from sign-ins`);
      const chains: { token: string; busy: boolean }[] = [];
      for (let i = 0; i < CHAINS; i++) {
        const f = await codeFlow(signinAgent, r, web, user);
        if (f.problem || !f.refreshToken) throw new Error(`no refresh token: ${f.problem ?? 'none issued'}`);
        chains.push({ token: f.refreshToken, busy: false });
      }
      let nextChain = 0;
      let replaceChain = 0;
      let inFlight = 0;

      const stream = (name: string, rate: number, once: () => Promise<string | null> | null): Stream => ({
        name,
        rate,
        once,
        sent: 0,
        ok: 0,
        errors: 0,
        skipped: 0,
        firstProblem: null,
        sentAt: [],
      });
      const streams: Stream[] = [
        stream('cc-opaque', rates.ccOpaque, async () => {
          const res = await agent.send(
            'POST',
            caps.tokenPath!,
            tokenHeaders(opaque),
            form({ grant_type: 'client_credentials', scope: opaque.scope, ...opaque.extraParams }),
          );
          const j = res.status === 200 ? parseJson(res.body) : null;
          return typeof j?.access_token === 'string' && !j.access_token.includes('.') ? null : `cc-opaque answered ${res.status}: ${res.body.slice(0, 160)}`;
        }),
        stream('refresh', rates.refresh, () => {
          // The next idle chain; none idle = skipped (counted).
          for (let k = 0; k < chains.length; k++) {
            const chain = chains[(nextChain + k) % chains.length]!;
            if (chain.busy) continue;
            nextChain = (nextChain + k + 1) % chains.length;
            chain.busy = true;
            return (async () => {
              try {
                const res = await agent.send(
                  'POST',
                  caps.tokenPath!,
                  tokenHeaders(web),
                  form({ grant_type: 'refresh_token', refresh_token: chain.token, ...web.extraParams }),
                );
                const j = res.status === 200 ? parseJson(res.body) : null;
                if (typeof j?.refresh_token !== 'string') return `refresh answered ${res.status}: ${res.body.slice(0, 160)}`;
                chain.token = j.refresh_token;
                return null;
              } finally {
                chain.busy = false;
              }
            })();
          }
          return null;
        }),
        stream('dpop', rates.dpop, async () => {
          const key = keys[Math.floor(Math.random() * keys.length)]!;
          const res = await agent.send(
            'POST',
            caps.tokenPath!,
            { ...tokenHeaders(jwt), dpop: dpopProof(key, htu) },
            form({ grant_type: 'client_credentials', scope: jwt.scope, ...jwt.extraParams }),
          );
          return res.status === 200 && res.body.includes('"token_type":"DPoP"') ? null : `dpop answered ${res.status}: ${res.body.slice(0, 160)}`;
        }),
        stream('signin', rates.signin, async () => {
          // A new browser signs in; its grant's chain replaces an old one (left to expire).
          const f = await codeFlow(signinAgent, r, web, user);
          if (f.problem || !f.refreshToken) return `sign-in flow: ${f.problem ?? 'no refresh token'}`;
          const slot = chains[replaceChain]!;
          replaceChain = (replaceChain + 1) % chains.length;
          if (!slot.busy) slot.token = f.refreshToken;
          return null;
        }),
      ];

      const t0 = Date.now();
      const end = t0 + durationS * 1000;
      const steadyMid = t0 + ((SETTLE_S + durationS) / 2) * 1000;
      log(
        `[load] ${durationS} s: cc-opaque ${rates.ccOpaque}/s, refresh ${rates.refresh}/s, DPoP ${rates.dpop}/s, sign-ins ${rates.signin}/s; purge every ${purgeInterval} s, retention ${retention} s; settle ${SETTLE_S} s`,
      );
      const pending = new Set<Promise<void>>();
      const acc = new Map<Stream, number>();
      const TICK = 50;
      let lastSample = 0;
      const sampling = (async () => {
        while (Date.now() < end) {
          const at = Date.now();
          if (at - lastSample >= sampleS * 1000) {
            lastSample = at;
            const c = await counts(db);
            const s = { t: Math.round((at - t0) / 100) / 10, ...c };
            samples.push(s);
            log(
              `  t=${String(s.t).padStart(5)} s  ${TABLES.map((k) => `${k} ${c[k]}`).join('  ')}  (codes ${c.codes}, audit ${c.audit_log})  in flight ${inFlight}`,
            );
          }
          await delay(200);
        }
      })();
      // Requests are due by the clock, not by ticks: a late tick (a busy machine) sends what fell
      // due meanwhile (at most one second's worth), so the rate stays the one asked for.
      let lastTick = Date.now();
      while (Date.now() < end) {
        const now = Date.now();
        const elapsed = Math.min(1000, now - lastTick);
        lastTick = now;
        for (const s of streams) {
          const due = (acc.get(s) ?? 0) + (s.rate * elapsed) / 1000;
          let n = Math.floor(due);
          acc.set(s, due - n);
          for (; n > 0; n--) {
            if (inFlight >= MAX_IN_FLIGHT) {
              s.skipped++;
              continue;
            }
            const p = s.once();
            if (!p) {
              s.skipped++;
              continue;
            }
            s.sent++;
            if (now >= t0 + SETTLE_S * 1000) s.sentAt.push(now >= steadyMid ? 1 : 0);
            inFlight++;
            const done: Promise<void> = p
              .then(
                (problem) => {
                  if (problem) {
                    s.errors++;
                    s.firstProblem ??= problem;
                  } else s.ok++;
                },
                (e: unknown) => {
                  s.errors++;
                  s.firstProblem ??= (e as Error).message;
                },
              )
              .finally(() => {
                inFlight--;
                pending.delete(done);
              });
            pending.add(done);
          }
        }
        await delay(Math.max(0, TICK - (Date.now() - now)));
      }
      await Promise.all(pending);
      await sampling;
      samples.push({ t: Math.round((Date.now() - t0) / 100) / 10, ...(await counts(db)) });
      agent.close();
      signinAgent.close();

      // The rule.
      const tables = [...TABLES, ...INFO_TABLES].map((k) => {
        const settle = k in LIFETIME ? settleOf(k as keyof typeof LIFETIME) : SETTLE_S;
        const after = samples.filter((x) => x.t >= settle);
        const half = Math.floor(after.length / 2);
        const m1 = half ? Math.max(...after.slice(0, half).map((x) => x[k])) : Number.NaN;
        const m2 = half ? Math.max(...after.slice(half).map((x) => x[k])) : Number.NaN;
        // A table whose settle time leaves too few samples is reported, not judged (run longer).
        const gated = (TABLES as readonly string[]).includes(k) && after.length >= MIN_SAMPLES;
        const limit = Math.floor(m1 * (1 + GROWTH_LIMIT) + GROWTH_SLACK);
        return {
          table: k,
          settleS: settle,
          gated,
          ...((TABLES as readonly string[]).includes(k) && !gated
            ? { note: `needs a run of at least ${Math.ceil((settle + MIN_SAMPLES * sampleS) / 60)} min` }
            : {}),
          maxFirstHalf: m1,
          maxSecondHalf: m2,
          limit,
          leveledOff: Number.isFinite(m2) && m2 <= limit,
          final: samples.at(-1)![k],
        };
      });
      const sent = streams.reduce((n, s) => n + s.sent, 0);
      const errors = streams.reduce((n, s) => n + s.errors, 0);
      const skipped = streams.reduce((n, s) => n + s.skipped, 0);
      const halves = [0, 1].map((h) => streams.reduce((n, s) => n + s.sentAt.filter((x) => x === h).length, 0));
      const problems = [
        errors > 0 &&
          `${errors} request errors (${streams
            .filter((s) => s.errors)
            .map((s) => `${s.name}: ${s.firstProblem}`)
            .join('; ')})`,
        samples.filter((x) => x.t >= SETTLE_S).length < MIN_SAMPLES &&
          `fewer than ${MIN_SAMPLES} samples after the ${SETTLE_S} s settle time: run longer (--minutes)`,
        halves[1]! < 0.9 * halves[0]! && `the load fell: ${halves[1]} requests in the second half of the steady window, ${halves[0]} in the first`,
        skipped > 0.01 * (sent + skipped) && `${skipped} of ${sent + skipped} requests skipped (${MAX_IN_FLIGHT} in flight or no idle chain)`,
        ...tables
          .filter((x) => x.gated && !x.leveledOff)
          .map((x) => `${x.table} did not level off: ${x.maxSecondHalf} > ${x.limit} (first half max ${x.maxFirstHalf})`),
      ].filter((x): x is string => typeof x === 'string');
      const pass = problems.length === 0;
      log(`\n| Table | judged from | max, first half | max, second half | limit | final | |`);
      log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
      for (const x of tables)
        log(
          `| ${x.table} | ${x.settleS} s | ${x.maxFirstHalf} | ${x.maxSecondHalf} | ${x.gated ? x.limit : 'not judged'} | ${x.final} | ${x.gated ? (x.leveledOff ? '✅' : '❌') : (x.note ?? '')} |`,
        );
      log(
        `\nrequests: ${sent} sent (${streams.map((s) => `${s.name} ${s.ok} ok / ${s.errors} errors / ${s.skipped} skipped`).join('; ')}); steady halves ${halves[0]} / ${halves[1]}`,
      );
      log(pass ? 'PASS: every table levelled off under constant load, zero errors' : `FAIL: ${problems.join('; ')}`);
      const outDir = values.out ?? join(ROOT, 'bench/results');
      await mkdir(outDir, { recursive: true });
      const file = join(outDir, `purge-${stamp(began)}.json`);
      await writeFile(
        file,
        `${JSON.stringify(
          {
            startedAt: began.toISOString(),
            finishedAt: new Date().toISOString(),
            commit: gitCommit(ROOT),
            machine: describeMachine(),
            loadAverageAtEnd: await loadAverage(),
            options: {
              durationS,
              rates,
              sampleS,
              purgeInterval,
              retention,
              lifetimes: {
                accessToken: ACCESS_TTL,
                refreshToken: REFRESH_TTL,
                sessionIdle: SESSION_IDLE,
                dpopProofAge: PROOF_AGE,
                dpopClockSkew: DPOP_SKEW,
                outboxRetention: OUTBOX_RETENTION,
              },
              chains: CHAINS,
            },
            rule: `each of ${TABLES.join(', ')}, from its settle time (row lifetime + retention + 2 purge intervals) on, when at least ${MIN_SAMPLES} samples follow it: max of the second half of those samples ≤ max of the first half × ${1 + GROWTH_LIMIT} + ${GROWTH_SLACK}; zero request errors; requests in the second half after ${SETTLE_S} s ≥ 90 % of the first half; ≤ 1 % skipped`,
            pass,
            problems,
            requests: Object.fromEntries(
              streams.map((s) => [s.name, { rate: s.rate, sent: s.sent, ok: s.ok, errors: s.errors, skipped: s.skipped, firstProblem: s.firstProblem }]),
            ),
            steadyHalves: halves,
            tables,
            samples,
          },
          null,
          2,
        )}\n`,
      );
      log(`results: ${file}`);
      return pass ? 0 : 1;
    } finally {
      await db.end().catch(() => {});
      await r.stop();
    }
  } finally {
    await target.cleanup?.();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`purge-bounded: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  },
);
