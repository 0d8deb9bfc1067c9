/**
 * `node --import tsx bench/growth.ts`: does Gatehouse on PostgreSQL slow down as the store fills
 * (issue #10, "Growth")? Measures client_credentials (opaque, one INSERT each) and introspection
 * (one primary-key read each) on an empty database, then bulk-loads N tokens (each its own grant;
 * grants are the tokens' read model) and N browser sessions with generate_series, and measures
 * again. Gatehouse runs as in `npm run bench` (compiled CLI, production mode, fresh database
 * dropped at the end). The load is bounded in time (`--load-minutes`): the figures say how many
 * rows were actually loaded. Writes bench/results/growth-<timestamp>.json.
 *
 * After the load the tables are vacuumed and a checkpoint is taken, as autovacuum and checkpoints
 * would have done while a real store grew (`--no-settle` measures straight after the load).
 *
 *   node --import tsx bench/growth.ts [--tokens 10000000] [--duration 6] [--rounds 2] [--load-minutes 20] [--no-build] [--no-settle]
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { describeMachine, stamp } from './lib/machine.ts';
import { measure } from './lib/measure.ts';
import type { CellRun, Load, RunningTarget, Scenario } from './lib/types.ts';
import { ccOpaque } from './scenarios/cc-opaque.ts';
import { introspectOpaque } from './scenarios/introspect-opaque.ts';
import { createGatehouseTarget } from './servers/gatehouse.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const CHUNK = 500_000;
const log = (l: string) => process.stdout.write(`${l}\n`);
const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '10000000' },
    duration: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    'load-minutes': { type: 'string', default: '20' },
    'no-build': { type: 'boolean', default: false },
    'no-settle': { type: 'boolean', default: false },
  },
});
const N = Number(values.tokens);
const durationSec = Number(values.duration);
const rounds = Number(values.rounds);
const settle = !values['no-settle'];
const connections = Number(values.connections);
const scenarios: readonly Scenario[] = [ccOpaque, introspectOpaque];

async function cells(target: ReturnType<typeof createGatehouseTarget>, phase: string): Promise<CellRun[]> {
  const r: RunningTarget = await target.start({});
  try {
    const loads = new Map<string, Load>();
    for (const s of scenarios) {
      const p = await s.prepare(r);
      if ('na' in p || ('kind' in p.load && p.load.kind === 'flow')) throw new Error(`${s.id}: not measurable`);
      loads.set(s.id, p.load as Load);
      await measure(r, p.load as Load, { connections, durationSec: 2 }, { scenario: s.id, target: phase, round: 0 });
    }
    const out: CellRun[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const s of scenarios) {
        const run = await measure(r, loads.get(s.id)!, { connections, durationSec }, { scenario: s.id, target: phase, round });
        log(
          `  ${phase.padEnd(7)} ${s.id.padEnd(18)} ${Math.round(run.reqPerSec).toLocaleString('en-US').padStart(7)} req/s  p99 ${run.latencyP99} ms  load ${run.loadAvg1}${run.problem ? `  INVALID: ${run.problem}` : ''}`,
        );
        out.push(run);
      }
    }
    return out;
  } finally {
    await r.stop();
  }
}

/** Inserts up to N tokens and N sessions in chunks until done or the deadline; returns the counts. */
async function bulkLoad(url: string, deadline: number): Promise<{ tokens: number; sessions: number; seconds: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const began = Date.now();
  const now = Math.floor(Date.now() / 1000);
  let tokens = 0;
  let sessions = 0;
  try {
    // Unexpired rows: the purge must not remove them during the measurement. Keys are
    // time-prefixed and 55 characters long as real ones are (an older prefix than any issued now).
    while (tokens < N && Date.now() < deadline) {
      const n = Math.min(CHUNK, N - tokens);
      await c.query(
        `insert into tokens (tenant_id, hash, kind, jti, client_id, subject, user_id, scope, audience, grant_id, parent_hash, issued_at, expires_at, cnf, claims, revoked_at, consumed_at)
         select 'default', lpad(to_hex(i), 12, '0') || md5(i::text) || left(md5((-i)::text), 11), 'access_token', 'bulk' || i, 'bulk-client', 'bulk-client', null, 'read',
                '[]', 'bulkgrant' || i, null, $1::bigint, $2::bigint, null, '{}', null, null
         from generate_series($3::bigint, $4::bigint) as i`,
        [now - 60, now + 30 * 86400, tokens + 1, tokens + n],
      );
      tokens += n;
      log(`  loaded ${tokens.toLocaleString('en-US')} tokens (${Math.round((Date.now() - began) / 1000)} s)`);
    }
    while (sessions < N && Date.now() < deadline) {
      const n = Math.min(CHUNK, N - sessions);
      await c.query(
        `insert into sessions (tenant_id, hash, accounts, current_user_id, created_at, last_seen_at, expires_at)
         select 'default', md5('s' || i) || md5('t' || i), '[]', null, $1::bigint, $1::bigint, $2::bigint from generate_series($3::bigint, $4::bigint) as i`,
        [now - 60, now + 30 * 86400, sessions + 1, sessions + n],
      );
      sessions += n;
      log(`  loaded ${sessions.toLocaleString('en-US')} sessions (${Math.round((Date.now() - began) / 1000)} s)`);
    }
    await c.query('analyze');
    if (settle) {
      // A table that grew to N rows over months has been vacuumed along the way (autovacuum) and
      // its pages written out by checkpoints. Right after a bulk load neither is true: the
      // insert-triggered autovacuum of a 10-million-row table and the checkpoint flushing the
      // load would run during the measurement and be charged to the store's size. Settle first.
      const t = Date.now();
      await c.query('vacuum (analyze) tokens');
      await c.query('vacuum (analyze) sessions');
      await c.query('checkpoint');
      log(`  vacuum + checkpoint after the load: ${Math.round((Date.now() - t) / 1000)} s`);
    }
  } finally {
    await c.end();
  }
  return { tokens, sessions, seconds: Math.round((Date.now() - began) / 1000) };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const began = new Date();
  const target = createGatehouseTarget({ build: !values['no-build'], database: 'postgres', log: (l) => log(`  ${l}`) });
  try {
    await target.prepare!({});
    const url = String(target.info().databaseUrl);
    log(`[empty store] ${durationSec} s per cell, ${rounds} rounds, ${connections} connections`);
    const empty = await cells(target, 'empty');
    log(`[bulk load] up to ${N.toLocaleString('en-US')} tokens and sessions, at most ${values['load-minutes']} min`);
    const loaded = await bulkLoad(url, Date.now() + Number(values['load-minutes']) * 60_000);
    log(`[loaded store] ${loaded.tokens.toLocaleString('en-US')} tokens, ${loaded.sessions.toLocaleString('en-US')} sessions`);
    const full = await cells(target, 'loaded');
    const summary = scenarios.map((s) => {
      const pick = (runs: CellRun[], f: (r: CellRun) => number) => median(runs.filter((r) => r.scenario === s.id).map(f));
      const e = { reqPerSec: pick(empty, (r) => r.reqPerSec), p99: pick(empty, (r) => r.latencyP99) };
      const l = { reqPerSec: pick(full, (r) => r.reqPerSec), p99: pick(full, (r) => r.latencyP99) };
      return { scenario: s.id, empty: e, loaded: l, throughputRatio: l.reqPerSec / e.reqPerSec, p99Ratio: l.p99 / e.p99 };
    });
    log('\n| Scenario | empty req/s · p99 | loaded req/s · p99 | loaded ÷ empty (req/s) |');
    log('| --- | ---: | ---: | ---: |');
    for (const x of summary) {
      log(
        `| ${x.scenario} | ${Math.round(x.empty.reqPerSec).toLocaleString('en-US')} · ${x.empty.p99} ms | ${Math.round(x.loaded.reqPerSec).toLocaleString('en-US')} · ${x.loaded.p99} ms | ${x.throughputRatio.toFixed(2)}× |`,
      );
    }
    const file = join(ROOT, 'bench/results', `growth-${stamp(began)}.json`);
    await writeFile(
      file,
      `${JSON.stringify({ startedAt: began.toISOString(), machine: describeMachine(), options: { N, durationSec, rounds, connections, settle }, loaded, summary, runs: [...empty, ...full] }, null, 2)}\n`,
    );
    log(`results: ${file}`);
  } finally {
    await target.cleanup?.();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`growth: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
