/**
 * NIST SP 800-63B §5.2.2 with the in-memory limiter: `gatehouse users unlock` run as a separate
 * process reaches the sign-in counters of a running `gatehouse serve` that has no Redis. The
 * counters stay in the server's memory; the unlock bumps the user's sign-in generation in the
 * shared database, and the server puts that generation in every per-user key, so the locked pair
 * is forgotten. Both are real child processes on one SQLite file; the browser is our UserAgent.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LOGIN_THROTTLED } from '../../src/http/pages/login-page.ts';
import { EN } from '../../src/http/pages/messages/en.ts';
import { freePort } from '../support/free-port.ts';
import { serveChild } from '../support/serve-child.ts';
import { UserAgent, type Outcome, type Page } from '../support/user-agent.ts';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).href;
const TSX = import.meta.resolve('tsx');

function gatehouse(dir: string, args: readonly string[], stdin = ''): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      TSX,
      '--input-type=module',
      '-e',
      `const { main } = await import(${JSON.stringify(CLI)}); process.exitCode = await main(${JSON.stringify(args)});`,
    ],
    { cwd: dir, env: { PATH: process.env['PATH'] ?? '' }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('NIST SP 800-63B §5.2.2: users unlock from the CLI reaches the in-memory counters of a running serve without Redis', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-unlock-mem-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const base = `http://localhost:${port}`;
  await writeFile(
    join(dir, 'gatehouse.json'),
    JSON.stringify({
      issuer: base,
      database: { url: `sqlite:${join(dir, 'gh.db')}` },
      login: { userAddressMaxAttempts: 2, userDelayStart: 0, userDelayMax: 0 },
      // Not shed under a loaded test machine (a 503 would not be the refusal this test counts).
      resilience: { shed: { maxEventLoopDelayMs: 0 } },
    }),
  );
  const created = await gatehouse(
    dir,
    ['users', 'create', '--config', 'gatehouse.json', '--username', 'locked.pat', '--password-stdin'],
    'correct horse battery staple\n',
  );
  assert.equal(created.code, 0, created.err);

  const server = serveChild(dir, port);
  t.after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });
  await until('serve ready', () => server.out().includes('gatehouse ready')).catch((e: Error) => {
    throw new Error(`${e.message}: ${server.out()}`);
  });
  assert.doesNotMatch(server.out(), /redis/i, 'no Redis is configured');

  const page = (o: Outcome): Page => (o.kind === 'page' ? o.page : assert.fail(`expected a page, got ${o.kind}`));
  const attempt = async (password: string) => {
    const ua = new UserAgent(base);
    const form = page(await ua.navigate(`${base}/login?return_to=${encodeURIComponent('/device')}`));
    return page(await ua.login(form, 'locked.pat', password));
  };
  for (const wrong of ['wrong-1', 'wrong-2']) assert.equal((await attempt(wrong)).kind, 'login', 'a wrong password shows the form again');
  const locked = await attempt('correct horse battery staple');
  assert.equal(locked.status, 429);
  assert.ok(locked.text.includes(EN[LOGIN_THROTTLED]), 'the right password is refused while the pair is locked');

  const unlock = await gatehouse(dir, ['users', 'unlock', '--config', 'gatehouse.json', 'locked.pat', '--json']);
  assert.equal(unlock.code, 0, unlock.err);
  assert.equal((JSON.parse(unlock.out) as { username: string }).username, 'locked.pat');

  const unlocked = await attempt('correct horse battery staple');
  assert.equal(unlocked.status, 200, 'the running server counts afresh after the unlock');
  assert.notEqual(unlocked.kind, 'login', 'signed in: the login form is not shown again');
});
