/**
 * `gatehouse users …` and `gatehouse clients create` with OpenID Connect metadata, as an operator
 * runs them, on a real SQLite file with passwords on standard input. Most commands run through
 * the CLI's entry point in this process (the same `main` and argument parsing, standard input and
 * environment handed in); the ones whose point is the process itself (a password piped to a real
 * standard input, CRLF, the exit code of a usage error) run as child processes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EventBus } from '../../src/core/events.ts';
import { oidcMetadata } from '../../src/core/model/client-oidc.ts';
import { DEFAULT_TENANT } from '../../src/core/model/tenant.ts';
import { systemClock } from '../../src/core/ports/clock.ts';
import { createUserService } from '../../src/core/users/user-service.ts';
import { createArgon2PasswordHasher } from '../../src/security/argon2-password-hasher.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import { runCliInProcess } from '../support/cli-in-process.ts';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).href;
const TSX = import.meta.resolve('tsx');

let dir: string;
let env: Record<string, string>;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gh-cli-users-'));
  env = { GATEHOUSE_DATABASE_URL: `sqlite:${join(dir, 'g.db')}`, GATEHOUSE_DATA_DIR: dir, GATEHOUSE_KEK: randomBytes(32).toString('base64') };
});
after(() => rm(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `gatehouse …args` through the CLI's entry point in this process, with `stdin` as standard input. */
const gatehouse = (args: readonly string[], stdin = '', extraEnv: Record<string, string> = {}): Promise<Run> =>
  runCliInProcess(args, { stdin, env: { PATH: process.env['PATH'] ?? '', ...env, ...extraEnv } });

/** Runs `gatehouse …args` in a child process, writing `stdin` to its real standard input (then EOF). */
function gatehouseProcess(args: readonly string[], stdin = '', extraEnv: Record<string, string> = {}): Promise<Run> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      TSX,
      '--input-type=module',
      '-e',
      `const { main } = await import(${JSON.stringify(CLI)}); process.exitCode = await main(${JSON.stringify(args)});`,
    ],
    {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', ...env, ...extraEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  child.stdin.end(stdin);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

const json = (r: Run) => {
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as Record<string, unknown>;
};

/** Signs in against the same database, as the login page would. */
async function signIn(username: string, password: string) {
  const storage = await createStorage(env['GATEHOUSE_DATABASE_URL']!);
  try {
    const users = createUserService({
      users: storage.users,
      passwordHasher: createArgon2PasswordHasher(),
      clock: systemClock,
      events: new EventBus(),
      random: { bytes: (n: number) => randomBytes(n) },
      tenantId: DEFAULT_TENANT,
    });
    return await users.authenticate(username, password);
  } finally {
    await storage.close();
  }
}

const ALICE_PW = 'tr0ub4dor & 3 (a passphrase)';

describe('gatehouse users', () => {
  test('users create --password-stdin --email --role admin --claims FILE --json: argon2id at rest, nothing secret printed', async () => {
    const claims = join(dir, 'alice.json');
    await writeFile(claims, JSON.stringify({ name: 'Alice Example', email_verified: true, address: { locality: 'Paris', country: 'FR' } }));
    const r = await gatehouseProcess(
      ['users', 'create', '--username', 'Alice', '--password-stdin', '--email', 'alice@example.com', '--role', 'admin', '--claims', claims, '--json'],
      `${ALICE_PW}\n`,
    );
    const u = json(r);
    assert.match(String(u['id']), /^[A-Za-z0-9_-]{22}$/);
    assert.equal(u['username'], 'alice');
    assert.deepEqual(u['roles'], ['admin']);
    assert.equal(u['disabled'], false);
    const c = u['claims'] as Record<string, unknown>;
    assert.equal(c['email'], 'alice@example.com');
    assert.equal(c['name'], 'Alice Example');
    assert.deepEqual(c['address'], { locality: 'Paris', country: 'FR' });
    assert.equal(typeof c['updated_at'], 'number');
    for (const text of [r.out, r.err]) {
      assert.ok(!text.includes(ALICE_PW), 'the password is never printed');
      assert.ok(!text.includes('$argon2'), 'nor its hash');
    }
    const user = await signIn('ALICE', ALICE_PW);
    assert.equal(user?.id, u['id'], 'the trailing newline from stdin is not part of the password');
    assert.match(user!.passwordHash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  test('bad input is refused with a stable code and writes nothing', async () => {
    const before = (json(await gatehouse(['users', 'list', '--json']))['items'] as unknown[]).length;
    const short = await gatehouse(['users', 'create', '--username', 'bob', '--password-stdin'], 'short\n');
    assert.equal(short.code, 1);
    assert.match(short.err, /8 to 128 characters.*\[GH_INVALID_INPUT\]/);
    const sub = join(dir, 'sub.json');
    await writeFile(sub, JSON.stringify({ sub: 'bob', email: 'bob@example.com' }));
    const withSub = await gatehouse(['users', 'create', '--username', 'bob', '--password-stdin', '--claims', sub], `${ALICE_PW}\n`);
    assert.match(withSub.err, /`sub` cannot be set.*\[GH_INVALID_INPUT\]/);
    const unknown = join(dir, 'unknown.json');
    await writeFile(unknown, JSON.stringify({ shoe_size: 44 }));
    assert.match(
      (await gatehouse(['users', 'create', '--username', 'bob', '--password-stdin', '--claims', unknown], `${ALICE_PW}\n`)).err,
      /unknown claim "shoe_size"/,
    );
    const argv = await gatehouseProcess(['users', 'create', '--username', 'bob', '--password', ALICE_PW]);
    assert.equal(argv.code, 2, 'a password on the command line is not an option');
    assert.match(argv.err, /GH_CLI_USAGE/);
    const noStdin = await gatehouse(['users', 'create', '--username', 'bob']);
    assert.match(noStdin.err, /needs --password-stdin/);
    const dup = await gatehouse(['users', 'create', '--username', 'ALICE', '--password-stdin'], `${ALICE_PW}\n`);
    assert.match(dup.err, /already exists.*\[GH_CONFLICT\]/);
    assert.equal((json(await gatehouse(['users', 'list', '--json']))['items'] as unknown[]).length, before);
  });

  test('users list and show (by username or id) never print a password hash', async () => {
    await gatehouse(['users', 'create', '--username', 'carol', '--password-stdin', '--email', 'carol@example.com'], 'carol-password\n');
    const listed = json(await gatehouse(['users', 'list', '--json']))['items'] as Record<string, unknown>[];
    assert.deepEqual(
      listed.map((u) => u['username']),
      ['alice', 'carol'],
    );
    const table = await gatehouse(['users', 'list']);
    assert.match(table.out, /^ID\s+USERNAME\s+ROLES\s+EMAIL\s+STATUS$/m);
    assert.match(table.out, /carol\s+user\s+carol@example\.com\s+enabled/);
    const byName = json(await gatehouse(['users', 'show', 'Carol', '--json']));
    const byId = json(await gatehouse(['users', 'show', String(byName['id']), '--json']));
    assert.deepEqual(byId, byName);
    // Ids are drawn without a leading '-'; one made before that (or any value) goes after `--`.
    assert.deepEqual(json(await gatehouse(['users', 'show', '--json', '--', String(byName['id'])])), byName);
    const dashed = await gatehouse(['users', 'show', '-Sx4VdXqR1bWQ2']);
    assert.equal(dashed.code, 2);
    assert.match(dashed.err, /unknown option -Sx4VdXqR1bWQ2[\s\S]*goes after --/);
    assert.equal(byName['has_password'], true);
    for (const r of [table, await gatehouse(['users', 'show', 'carol'])]) assert.ok(!r.out.includes('$argon2'));
    const missing = await gatehouse(['users', 'show', 'nobody']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /\[GH_NOT_FOUND\]/);
  });

  test('users disable stops sign-in exactly like a wrong password; enable restores it', async () => {
    assert.ok(await signIn('alice', ALICE_PW));
    assert.equal(json(await gatehouse(['users', 'disable', 'alice', '--json']))['disabled'], true);
    assert.equal(await signIn('alice', ALICE_PW), null);
    assert.equal(await signIn('alice', 'wrong password'), null);
    assert.equal(await signIn('nobody', ALICE_PW), null);
    assert.equal(json(await gatehouse(['users', 'enable', 'alice', '--json']))['disabled'], false);
    assert.ok(await signIn('alice', ALICE_PW));
  });

  test('users set-password --password-stdin: the new password works at once, the old one stops', async () => {
    const r = await gatehouseProcess(['users', 'set-password', 'carol', '--password-stdin', '--json'], 'a new carol password\r\n');
    assert.equal(json(r)['username'], 'carol');
    assert.ok(!r.out.includes('a new carol password'));
    assert.equal(await signIn('carol', 'carol-password'), null);
    assert.ok(await signIn('carol', 'a new carol password'));
    const short = await gatehouse(['users', 'set-password', 'carol', '--password-stdin'], 'tiny\n');
    assert.match(short.err, /\[GH_INVALID_INPUT\]/);
    assert.ok(await signIn('carol', 'a new carol password'), 'a refused password changes nothing');
  });
});

describe('gatehouse clients create with OpenID Connect metadata', () => {
  test('the OIDC flags are validated and stored under their wire names', async () => {
    const c = json(
      await gatehouse([
        'clients',
        'create',
        '--name',
        'Portal',
        '--grant-types',
        'authorization_code,implicit,refresh_token',
        '--response-types',
        'code,code id_token',
        '--redirect-uris',
        'https://portal.example/cb',
        '--scopes',
        'openid,profile,email,offline_access',
        '--post-logout-redirect-uris',
        'https://portal.example/bye,https://portal.example/bye2',
        '--first-party',
        '--backchannel-logout-uri',
        'https://portal.example/bc',
        '--backchannel-logout-session-required',
        '--frontchannel-logout-uri',
        'https://portal.example/fc',
        '--frontchannel-logout-session-required',
        '--id-token-signed-response-alg',
        'ES256',
        '--subject-type',
        'public',
        '--application-type',
        'web',
        '--require-par',
        '--default-max-age',
        '600',
        '--require-auth-time',
        '--strict-assertion-audience',
        '--dpop-bound-access-tokens',
        '--json',
      ]),
    );
    // RFC 9449 §5.2 client metadata, set from the CLI.
    assert.equal(c['dpop_bound_access_tokens'], true);
    assert.deepEqual(c['response_types'], ['code', 'code id_token']);
    assert.deepEqual(c['grant_types'], ['authorization_code', 'implicit', 'refresh_token']);
    assert.deepEqual(c['post_logout_redirect_uris'], ['https://portal.example/bye', 'https://portal.example/bye2']);
    assert.equal(c['first_party'], true);
    assert.equal(c['require_pushed_authorization_requests'], true);
    const shown = json(await gatehouse(['clients', 'show', String(c['client_id']), '--json']));
    assert.deepEqual(oidcMetadata({ metadata: shown }), {
      applicationType: 'web',
      firstParty: true,
      postLogoutRedirectUris: ['https://portal.example/bye', 'https://portal.example/bye2'],
      backchannelLogoutUri: 'https://portal.example/bc',
      backchannelLogoutSessionRequired: true,
      frontchannelLogoutUri: 'https://portal.example/fc',
      frontchannelLogoutSessionRequired: true,
      idTokenSignedResponseAlg: 'ES256',
      subjectType: 'public',
      sectorIdentifierUri: null,
      requirePushedAuthorizationRequests: true,
      requestObjectSigningAlg: null,
      defaultMaxAge: 600,
      requireAuthTime: true,
      strictAssertionAudience: true,
    });
  });

  const refused: [string, string[], RegExp][] = [
    ['an http logout URI off loopback', ['--backchannel-logout-uri', 'http://portal.example/bc'], /backchannel_logout_uri must be an https URL/],
    ['a post-logout URI with a fragment', ['--post-logout-redirect-uris', 'https://portal.example/bye#x'], /post_logout_redirect_uri .*fragment/],
    ['an unsigned ID token', ['--id-token-signed-response-alg', 'none'], /none is not allowed/],
    [
      'a hybrid response type without the implicit grant',
      ['--grant-types', 'authorization_code', '--response-types', 'code,code id_token'],
      /implicit .* together/,
    ],
    ['an unknown subject type', ['--subject-type', 'secret'], /subject_type/],
    ['a negative default_max_age', ['--default-max-age', '-5'], /default-max-age|default_max_age/],
  ];
  test(`OIDC Registration §2 refuses ${refused.map(([what]) => what).join('; ')}; nothing is written`, async () => {
    const before = (json(await gatehouse(['clients', 'list', '--json']))['items'] as unknown[]).length;
    for (const [what, flags, why] of refused) {
      const r = await gatehouse(['clients', 'create', '--name', 'Bad', '--redirect-uris', 'https://portal.example/cb', ...flags]);
      assert.notEqual(r.code, 0, what);
      assert.match(r.err, why, what);
      assert.match(r.err, /\[GH_(INVALID_INPUT|CLI_USAGE)\]/, what);
    }
    assert.equal((json(await gatehouse(['clients', 'list', '--json']))['items'] as unknown[]).length, before);
  });

  test('loopback http logout URIs are a development convenience only', async () => {
    const flags = [
      'clients',
      'create',
      '--name',
      'Local',
      '--redirect-uris',
      'http://127.0.0.1:9000/cb',
      '--backchannel-logout-uri',
      'http://127.0.0.1:9000/bc',
      '--json',
    ];
    assert.equal(json(await gatehouse(flags))['backchannel_logout_uri'], 'http://127.0.0.1:9000/bc');
    const prod = await gatehouse(flags, '', { GATEHOUSE_ENV: 'production', GATEHOUSE_ISSUER: 'https://id.example.com' });
    assert.equal(prod.code, 1, prod.out);
    assert.match(prod.err, /backchannel_logout_uri must be an https URL/);
  });
});

describe('gatehouse users unlock (NIST SP 800-63B §5.2.2)', () => {
  test("unlock USER clears the user's sign-in counters through users.unlock; an unknown user is GH_NOT_FOUND; usage is checked", async () => {
    await gatehouse(['users', 'create', '--username', 'locked.out', '--password-stdin'], 'a long enough passphrase\n');
    const r = await gatehouse(['users', 'unlock', 'LOCKED.OUT', '--json']);
    const body = json(r);
    assert.equal(body['username'], 'locked.out');
    assert.equal(typeof body['id'], 'string');
    assert.equal(body['counters_cleared'], 0, 'a fresh process holds no counters');
    assert.match(r.err, /sign-in generation was changed in the store/);
    const text = await gatehouse(['users', 'unlock', 'locked.out']);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /counters_cleared/);
    const missing = await gatehouse(['users', 'unlock', 'nobody-here']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /GH_NOT_FOUND/);
    const usage = await gatehouse(['users', 'unlock']);
    assert.notEqual(usage.code, 0);
    assert.match(usage.err, /GH_CLI_USAGE/);
    assert.match((await gatehouse(['users', '--help'])).out, /users unlock USER/);
  });
});

describe('gatehouse users end-sessions (OWASP session termination)', () => {
  test('end-sessions USER runs sessions.end_all: a new session generation each time (console sessions end), unlock leaves it; unknown user and usage are refused', async () => {
    await gatehouse(['users', 'create', '--username', 'laptop.lost', '--password-stdin'], 'a long enough passphrase\n');
    const first = json(await gatehouse(['users', 'end-sessions', 'LAPTOP.LOST', '--json']));
    assert.deepEqual([first['sessions_ended'], first['backchannel'], first['session_epoch']], [0, 0, 1]);
    assert.equal(json(await gatehouse(['users', 'end-sessions', 'laptop.lost', '--json']))['session_epoch'], 2);
    await gatehouse(['users', 'unlock', 'laptop.lost']);
    assert.equal(json(await gatehouse(['users', 'show', 'laptop.lost', '--json']))['session_epoch'], 2, 'unlock signs no one out');
    const missing = await gatehouse(['users', 'end-sessions', 'nobody-here']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /GH_NOT_FOUND/);
    const usage = await gatehouse(['users', 'end-sessions']);
    assert.notEqual(usage.code, 0);
    assert.match(usage.err, /GH_CLI_USAGE/);
    assert.match((await gatehouse(['users', '--help'])).out, /users end-sessions USER/);
  });
});
