/**
 * The admin API list over HTTP (issue #11 goal: list of 1,000 clients, p99 ≤ 20 ms): a production
 * `gatehouse serve` process on SQLite holding `clients` clients, an admin client's access token
 * from /token (client_credentials, `gatehouse:admin`), then sequential timed requests from this
 * process (one keep-alive connection, so the figure is one operator's latency, not throughput).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cliActor } from '../../src/app/index.ts';
import { compose } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { freePort, spawnNode, waitFor200 } from '../lib/process.ts';
import { benchConsolePages, type ConsoleResult } from './console-http.ts';

export interface AdminHttpCase {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly items: number;
}

export interface AdminHttpResult {
  readonly clients: number;
  readonly reps: number;
  readonly database: 'sqlite';
  readonly cases: Readonly<Record<string, AdminHttpCase>>;
  /** The console pages (console-http.ts) against the same process; null when not asked for. */
  readonly console: ConsoleResult | null;
}

const ENTRY = new URL('./serve-entry.ts', import.meta.url).pathname;
const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const round = (ms: number) => Math.round(ms * 100) / 100;

/** `consoleReps` > 0 also times the console pages (signed in as a user with the `admin` role). */
export async function benchAdminApiList(clients: number, reps: number, log: (line: string) => void, consoleReps = 0): Promise<AdminHttpResult> {
  const dir = await mkdtemp(join(tmpdir(), 'gh-bench-admin-'));
  const port = await freePort();
  const env = {
    GATEHOUSE_ENV: 'production',
    GATEHOUSE_KEK: randomBytes(32).toString('base64'),
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_ISSUER: `http://127.0.0.1:${port}`,
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
    GATEHOUSE_LOG_LEVEL: 'warn',
  };
  try {
    // Seed through the application layer, as `gatehouse clients create` would (one process).
    const started = performance.now();
    const services = await compose(await loadConfig({ env }), { notice: () => {} });
    const actor = cliActor({ USER: 'bench' });
    let admin: { client_id: string; client_secret: string };
    const person = { username: 'bench-operator', password: randomBytes(18).toString('base64url'), id: '' };
    let someClient = '';
    try {
      for (let i = 0; i < clients; i++) {
        const made = await services.application.clients.create(actor, {
          client_name: `bench client ${String(i).padStart(5, '0')}`,
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'client_secret_basic',
          scope: 'read',
        });
        if (i === Math.floor(clients / 2)) someClient = made.client.client_id;
      }
      const user = (await services.application.run('users.create', actor, { username: person.username, password: person.password, roles: ['admin'] })) as {
        id: string;
      };
      person.id = user.id;
      const out = await services.application.clients.create(actor, {
        client_name: 'bench admin',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'gatehouse:admin',
      });
      admin = { client_id: out.client.client_id, client_secret: out.client_secret! };
    } finally {
      await services.close();
    }
    log(`admin API: seeded ${clients} clients in ${Math.round(performance.now() - started)} ms`);

    const child = spawnNode(['--import', 'tsx', ENTRY, 'serve'], { ...process.env, ...env, NODE_ENV: 'production' });
    try {
      await waitFor200(`http://127.0.0.1:${port}/ready`, child.spawnedAt, 60_000, child);
      const base = `http://127.0.0.1:${port}`;
      const tokenRes = await fetch(`${base}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(admin.client_id)}:${encodeURIComponent(admin.client_secret)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials&scope=gatehouse%3Aadmin',
      });
      const token = ((await tokenRes.json()) as { access_token?: string }).access_token;
      if (!token) throw new Error(`no admin token (${tokenRes.status})`);
      const get = async (path: string): Promise<{ items: unknown[]; next_cursor: string | null }> => {
        const res = await fetch(`${base}/admin/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
        if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
        return (await res.json()) as { items: unknown[]; next_cursor: string | null };
      };
      const deep = (await get('/clients?limit=500')).next_cursor!;
      const cases: Record<string, () => Promise<number>> = {
        'GET /clients (first page, limit 50)': async () => (await get('/clients')).items.length,
        'GET /clients?limit=500 (largest page)': async () => (await get('/clients?limit=500')).items.length,
        'GET /clients?cursor=… (page after 500)': async () => (await get(`/clients?limit=50&cursor=${deep}`)).items.length,
        'all 1,000+ clients (limit=500, every page)': async () => {
          let n = 0;
          for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
            const page = await get(`/clients?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
            n += page.items.length;
            cursor = page.next_cursor;
          }
          return n;
        },
      };
      const out: Record<string, AdminHttpCase> = {};
      for (const [name, run] of Object.entries(cases)) {
        let items = 0;
        for (let i = 0; i < 20; i++) items = await run();
        const times: number[] = [];
        for (let i = 0; i < reps; i++) {
          const t = performance.now();
          await run();
          times.push(performance.now() - t);
        }
        times.sort((a, b) => a - b);
        out[name] = { p50: round(pct(times, 0.5)), p95: round(pct(times, 0.95)), p99: round(pct(times, 0.99)), items };
      }
      const consoleOut = consoleReps > 0 ? await benchConsolePages(base, person, { client_id: someClient }, consoleReps) : null;
      return { clients, reps, database: 'sqlite', cases: out, console: consoleOut };
    } finally {
      await child.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
