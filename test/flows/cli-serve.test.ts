/**
 * `gatehouse serve` as an operator runs it: a real child process, real SQLite file, real signals.
 * Proves the README's first-start promise, graceful shutdown, and production refusals.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { freePort } from '../support/free-port.ts';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).href;
const TSX = import.meta.resolve('tsx');

interface Running {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function serve(dir: string, env: Record<string, string>): Running {
  const child = spawn(
    process.execPath,
    ['--import', TSX, '--input-type=module', '-e', `const { main } = await import(${JSON.stringify(CLI)}); process.exitCode = await main(['serve']);`],
    {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', GATEHOUSE_HOST: '127.0.0.1', GATEHOUSE_LOG_LEVEL: 'info', GATEHOUSE_KEYS_REFRESH_INTERVAL: '30', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}

/**
 * fetch for oauth4webapi that honours 503 + Retry-After (RFC 9110 §10.2.3) a few times, as a
 * client should: load shedding's answer while a tsx child compiles modules on first use on a
 * loaded test machine (more than a second of event-loop delay).
 */
const patientFetch = async (url: string, init: RequestInit): Promise<Response> => {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, init);
    if (res.status !== 503 || attempt === 4) return res;
    const seconds = Math.min(Number(res.headers.get('retry-after') ?? '1') || 1, 2);
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, seconds * 1000));
  }
};
// oauth4webapi types customFetch per method and body; this one serves both.
const PATIENT = { [oauth.allowInsecureRequests]: true, [oauth.customFetch]: patientFetch as never } as const;

async function until(fn: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('README first start: development mode creates and prints a demo client once; it gets a token; SIGTERM drains and exits 0', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-serve-'));
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const first = serve(dir, { GATEHOUSE_PORT: String(port) });
  t.after(() => first.child.kill('SIGKILL'));
  await until(() => first.out().includes('gatehouse ready'), 'first start');
  // The start-up line names the issuer as the address to open, not the bound 127.0.0.1 socket.
  assert.match(first.out(), new RegExp(`gatehouse ready: open ${base}"`));
  const id = /client_id:\s+(\S+)/.exec(first.out())?.[1];
  const secret = /client_secret:\s+(\S+)/.exec(first.out())?.[1];
  assert.ok(id && secret, 'demo client printed');
  assert.match(first.err(), /generated a development key-encryption key/);

  // The printed client works against the discovered token endpoint (RFC 6749 §4.4).
  const issuer = new URL(base);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, PATIENT));
  const client: oauth.Client = { client_id: id };
  const res = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(secret), new URLSearchParams(), PATIENT);
  const tokens = await oauth.processClientCredentialsResponse(as, client, res);
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');

  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0);
  assert.match(first.out(), /shutdown complete/);

  // Second start on the same data: no new demo client, keys and KEK are reused.
  const second = serve(dir, { GATEHOUSE_PORT: String(port) });
  t.after(() => second.child.kill('SIGKILL'));
  await until(() => second.out().includes('gatehouse ready'), 'second start');
  assert.doesNotMatch(second.out(), /client_secret:/);
  assert.doesNotMatch(second.err(), /generated a development key-encryption key/);
  const again = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(secret), new URLSearchParams(), PATIENT);
  assert.equal(again.status, 200);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);
});

test('S8 production refuses a weak KEK and a non-loopback http issuer, naming each problem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-serve-'));
  const run = serve(dir, {
    GATEHOUSE_ENV: 'production',
    GATEHOUSE_ISSUER: 'http://id.example.com',
    GATEHOUSE_KEK: Buffer.alloc(32, 7).toString('base64'),
    GATEHOUSE_PORT: '0',
  });
  assert.equal(await run.exited, 1);
  assert.match(run.err(), /GH_CONFIG_INVALID/);
  assert.match(run.err(), /kek:/);
  assert.match(run.err(), /issuer:/);
  assert.doesNotMatch(run.err(), /\n\s+at /, 'no stack trace');
});

test('production mode with a strong KEK prints no demo client', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-serve-'));
  const port = await freePort();
  const run = serve(dir, {
    GATEHOUSE_ENV: 'production',
    GATEHOUSE_ISSUER: `http://localhost:${port}`,
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_KEK: randomBytes(32).toString('base64'),
  });
  t.after(() => run.child.kill('SIGKILL'));
  await until(() => run.out().includes('gatehouse ready'), 'production start');
  assert.doesNotMatch(run.out(), /client_secret/);
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
});

test('S8 production refuses a missing issuer, the in-memory store, a padded placeholder token and the retired admin token, naming each fix', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-serve-'));
  const run = serve(dir, {
    GATEHOUSE_ENV: 'production',
    GATEHOUSE_DATABASE_URL: 'memory:',
    GATEHOUSE_REGISTRATION_INITIAL_ACCESS_TOKEN: 'changeme'.repeat(6),
    GATEHOUSE_ADMIN_TOKEN: 'changeme'.repeat(6),
    GATEHOUSE_KEK: randomBytes(32).toString('base64'),
    GATEHOUSE_PORT: '0',
  });
  assert.equal(await run.exited, 1);
  assert.match(run.err(), /\[GH_CONFIG_INVALID\]/);
  assert.match(run.err(), /issuer: production needs an explicit issuer \(GATEHOUSE_ISSUER\)/);
  assert.match(run.err(), /database\.url: production refuses the in-memory store \(memory:\).*GATEHOUSE_DATABASE_URL/);
  assert.match(run.err(), /registration\.initialAccessTokens\.0: .*openssl rand -base64 32/);
  assert.match(run.err(), /GATEHOUSE_ADMIN_TOKEN: the static admin token was removed.*--scopes gatehouse:admin/);
  assert.doesNotMatch(run.err(), /changeme/, 'the secret itself is never echoed');
});

test('production warns loudly about open dynamic client registration', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-serve-'));
  const port = await freePort();
  const run = serve(dir, {
    GATEHOUSE_ENV: 'production',
    GATEHOUSE_ISSUER: `http://localhost:${port}`,
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_KEK: randomBytes(32).toString('base64'),
    GATEHOUSE_REGISTRATION_ENABLED: 'true',
  });
  t.after(() => run.child.kill('SIGKILL'));
  await until(() => run.out().includes('gatehouse ready'), 'production start');
  assert.match(run.err(), /warning: registration\.enabled: OPEN dynamic client registration.*GATEHOUSE_REGISTRATION_INITIAL_ACCESS_TOKEN/);
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
});
