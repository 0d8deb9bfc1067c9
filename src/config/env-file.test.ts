import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { main } from '../cli/main.ts';
import type { CliIo } from '../cli/types.ts';
import { GatehouseError } from '../core/errors.ts';
import { renderConfigDocs } from './docs.ts';
import { ENV_OVERRIDES, FILE_VARIABLES, readEnv } from './env.ts';
import { loadConfig } from './load.ts';

const dir = await mkdtemp(join(tmpdir(), 'gatehouse-env-file-'));
after(() => rm(dir, { recursive: true, force: true }));

let n = 0;
async function secretFile(content: string): Promise<string> {
  const path = join(dir, `secret-${++n}`);
  await writeFile(path, content, { mode: 0o600 });
  return path;
}

async function configProblem(env: Record<string, string>): Promise<string> {
  try {
    await loadConfig({ env });
  } catch (e) {
    assert.ok(e instanceof GatehouseError);
    assert.equal(e.code, 'GH_CONFIG_INVALID');
    return e.message;
  }
  assert.fail('expected GH_CONFIG_INVALID');
}

test('<VAR>_FILE: the file content without its trailing newline is the value (the container secrets convention)', async () => {
  const kek = randomBytes(32).toString('base64');
  const dbUrl = `sqlite:${join(dir, 'from-file.db')}`;
  const c = await loadConfig({
    env: {
      GATEHOUSE_KEK_FILE: await secretFile(`${kek}\n`),
      GATEHOUSE_DATABASE_URL_FILE: await secretFile(dbUrl), // no newline at all
      GATEHOUSE_EVENTS_FILE: await secretFile('log:\r\n'), // CRLF: only the line end goes
      GATEHOUSE_REGISTRATION_INITIAL_ACCESS_TOKEN_FILE: await secretFile('iat-one-0123456789,iat-two-0123456789\n'),
      GATEHOUSE_REDIS_URL_FILE: await secretFile('redis://:pw@127.0.0.1:6379/0\n'),
      GATEHOUSE_PAIRWISE_SALT_FILE: await secretFile('salt-0123456789ab\n\n'), // only one newline is trimmed
    },
  });
  assert.equal(c.kek, kek);
  assert.equal(c.database.url, dbUrl);
  assert.deepEqual(c.events.urls, ['log:']);
  assert.deepEqual(c.registration.initialAccessTokens, ['iat-one-0123456789', 'iat-two-0123456789']);
  assert.equal(c.redis.url, 'redis://:pw@127.0.0.1:6379/0');
  assert.equal(c.tokens.pairwiseSalt, 'salt-0123456789ab\n');
});

test('every secret-bearing variable has a _FILE form, and only known settings do', () => {
  const names = ENV_OVERRIDES.map(([name]) => name);
  for (const v of FILE_VARIABLES) assert.ok(names.includes(v), `${v} is a setting`);
  for (const secret of [
    'GATEHOUSE_KEK',
    'GATEHOUSE_DATABASE_URL',
    'GATEHOUSE_REDIS_URL',
    'GATEHOUSE_REGISTRATION_INITIAL_ACCESS_TOKEN',
    'GATEHOUSE_PAIRWISE_SALT',
  ])
    assert.ok(FILE_VARIABLES.includes(secret), `${secret} can come from a file`);
  // A _FILE form of a non-secret is not a variable: it warns like any unknown name.
  assert.match(readEnv({ GATEHOUSE_PORT_FILE: '/x' }).warnings.join('\n'), /GATEHOUSE_PORT_FILE is not a Gatehouse variable/);
  assert.deepEqual(readEnv({ GATEHOUSE_KEK_FILE: '/nonexistent' }).warnings, []);
});

test('setting both X and X_FILE is a configuration error naming both', async () => {
  const msg = await configProblem({ GATEHOUSE_KEK: randomBytes(32).toString('base64'), GATEHOUSE_KEK_FILE: await secretFile('x\n') });
  assert.match(msg, /GATEHOUSE_KEK \(kek\): set either GATEHOUSE_KEK or GATEHOUSE_KEK_FILE, not both/);
});

test('a missing, unreadable or empty secret file is an error naming the variable and the path, never the content', async () => {
  const missing = join(dir, 'does-not-exist');
  assert.match(
    await configProblem({ GATEHOUSE_DATABASE_URL_FILE: missing }),
    new RegExp(`GATEHOUSE_DATABASE_URL \\(database\\.url\\): cannot read GATEHOUSE_DATABASE_URL_FILE "${missing}" \\(ENOENT\\)`),
  );
  assert.match(await configProblem({ GATEHOUSE_KEK_FILE: dir }), /GATEHOUSE_KEK \(kek\): cannot read GATEHOUSE_KEK_FILE ".*" \(EISDIR\)/);
  assert.match(
    await configProblem({ GATEHOUSE_PAIRWISE_SALT_FILE: await secretFile('\n') }),
    /GATEHOUSE_PAIRWISE_SALT \(tokens\.pairwiseSalt\): GATEHOUSE_PAIRWISE_SALT_FILE ".*" is empty/,
  );
  if (process.getuid?.() !== 0) {
    // root reads any file: the permission case only proves something for other users
    const secret = 'super-secret-content-never-printed';
    const unreadable = await secretFile(secret);
    await chmod(unreadable, 0o000);
    const msg = await configProblem({ GATEHOUSE_REDIS_URL_FILE: unreadable });
    assert.match(msg, /cannot read GATEHOUSE_REDIS_URL_FILE .* \(EACCES\)/);
    assert.ok(!msg.includes(secret));
  }
  // A file whose content is invalid is reported without echoing the secret.
  const notAKek = 'not-a-kek-but-a-secret-value';
  const msg = await configProblem({ GATEHOUSE_KEK_FILE: await secretFile(`${notAKek}\n`) });
  assert.match(msg, /kek: must be 32 bytes/);
  assert.ok(!msg.includes(notAKek), 'the secret is not printed');
});

test('through the CLI: secrets from files reach the store and the KEK; a bad file fails with the variable named', async () => {
  const env: Record<string, string> = {
    GATEHOUSE_DATABASE_URL_FILE: await secretFile(`sqlite:${join(dir, 'cli.db')}\n`),
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_KEK_FILE: await secretFile(`${randomBytes(32).toString('base64')}\n`),
  };
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => '', env };
    const code = await main(args, io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const created = await run('clients', 'create', '--name', 'From files', '--grant-types', 'client_credentials', '--scopes', 'a', '--json');
  assert.equal(created.code, 0, created.err);
  const { client_id } = JSON.parse(created.out) as { client_id: string };
  const listed = await run('clients', 'list', '--json');
  assert.equal(listed.code, 0, listed.err);
  assert.ok(listed.out.includes(client_id), 'the second run reads the same database from the same file');

  env.GATEHOUSE_KEK_FILE = join(dir, 'no-such-kek');
  const failed = await run('clients', 'list');
  assert.notEqual(failed.code, 0);
  assert.match(failed.err, /GATEHOUSE_KEK \(kek\): cannot read GATEHOUSE_KEK_FILE ".*no-such-kek" \(ENOENT\)/);
});

test('docs/config.md lists the _FILE form of every secret-bearing variable', () => {
  const docs = renderConfigDocs();
  for (const v of FILE_VARIABLES) assert.ok(docs.includes(`\`${v}_FILE\``), `${v}_FILE is documented`);
});
