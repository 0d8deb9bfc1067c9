// A throwaway PostgreSQL cluster for fault tests: `initdb` + `pg_ctl` from /usr/lib/postgresql/*/bin
// (or PATH) in a temp dir, on a free port, run as the `postgres` OS user when the test runs as root
// (PostgreSQL refuses to run as root; CI runs as root). The shared server on 5432 is never touched.
// Cannot start (no initdb, no postgres user): the test skips with the reason printed, except in CI
// or with GATEHOUSE_TEST_REQUIRE_BACKENDS=1, where it fails (S14), as test/support/databases.ts does.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { backendRequired } from './databases.ts';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** `pg_ctl start` (waits until it accepts connections). */
  start(): Promise<void>;
  /** `pg_ctl stop -m immediate`: the server dies without a checkpoint, as on a crash. */
  stop(): Promise<void>;
  /** Stops the server and removes the cluster. */
  destroy(): Promise<void>;
}

function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  return null;
}

async function postgresUid(): Promise<{ uid: number; gid: number } | null> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return null;
  }
}

export async function privatePostgres(): Promise<PrivatePostgres | { readonly skip: string }> {
  const fail = (reason: string) => {
    if (backendRequired()) throw new Error(`${reason} (required: CI=true or GATEHOUSE_TEST_REQUIRE_BACKENDS=1)`);
    return { skip: reason };
  };
  const bin = binDir();
  if (!bin) return fail('cannot start a private PostgreSQL: initdb not found in /usr/lib/postgresql/*/bin or PATH');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await postgresUid() : null;
  if (asRoot && !owner) return fail('cannot start a private PostgreSQL as root: no `postgres` OS user');
  const dir = await mkdtemp(join(tmpdir(), 'gh-private-pg-'));
  const data = join(dir, 'data');
  if (owner) await chown(dir, owner.uid, owner.gid);
  const port = await freePort();
  const as = (cmd: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args));
  let running = false;
  const pg: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      // -k: the Unix socket in our own dir (the default /var/run/postgresql may not be writable).
      await as('pg_ctl', [
        'start',
        '-w',
        '-t',
        '30',
        '-D',
        data,
        '-l',
        join(dir, 'log'),
        '-o',
        `-p ${port} -h 127.0.0.1 -k ${dir} -c fsync=off -c max_connections=50`,
      ]);
      running = true;
    },
    async stop() {
      if (!running) return;
      running = false;
      await as('pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', data]);
    },
    async destroy() {
      await pg.stop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await as('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await pg.start();
    return pg;
  } catch (e) {
    await pg.destroy();
    return fail(`cannot start a private PostgreSQL: ${(e as Error).message}`);
  }
}
