/**
 * What users give apps (issue #14 item 3), over the wire: a user created with `gatehouse users
 * create` (a real child process on a SQLite file; later `users update` calls go through the CLI's
 * `main` in this process) with a username, a custom attribute, a role and
 * a group; a server on the same database; relying parties driven by openid-client (code flow,
 * UserInfo) and oauth4webapi (introspection). `preferred_username` under `profile`; roles, groups
 * and attributes only through their scopes; the per-client `claim_mappings` renaming claims and
 * choosing the ID token, JWT access token, UserInfo and introspection.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import type { Actor } from '../../src/app/actor.ts';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { authRequest, callbackOf, codeFlow, rpConfig, RP_REDIRECT, startOidcServer, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).href;
const TSX = import.meta.resolve('tsx');
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
const OPERATOR: Actor = { kind: 'cli', id: 'claims-test', roles: ['admin'] };

/** The operator's configuration: two attributes, one scope releasing them. */
const CLAIMS_CONFIG = {
  users: {
    attributes: {
      department: { type: 'string', maxLength: 32, description: 'Department name' },
      employee_number: { type: 'string', pattern: '[0-9]{6}' },
      clearance: { type: 'integer', minimum: 0, maximum: 5 },
    },
  },
  claims: { scopes: { org: { claims: ['department', 'employee_number', 'clearance'], description: 'Your department, employee number and clearance' } } },
};

let dir: string;
let env: Record<string, string>;
let configFile: string;
let op: OidcServer;
let ada: TestUser;
const PASSWORD = 'correct horse battery staple';

interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** `gatehouse …args` through the CLI's entry point in this process (the same `main`; stdin and environment handed in). */
const gatehouse = (args: readonly string[], stdin = '', config = configFile): Promise<Run> =>
  runCliInProcess([...args, '--config', config], { stdin, env: { PATH: process.env['PATH'] ?? '', ...env } });

/** `gatehouse …args` in a child process (stdin written, then EOF), as an operator runs it. */
function gatehouseProcess(args: readonly string[], stdin = '', config = configFile): Promise<Run> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      TSX,
      '--input-type=module',
      '-e',
      `const { main } = await import(${JSON.stringify(CLI)}); process.exitCode = await main(${JSON.stringify([...args, '--config', config])});`,
    ],
    { cwd: dir, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gh-user-claims-'));
  const db = `sqlite:${join(dir, 'g.db')}`;
  env = { GATEHOUSE_DATABASE_URL: db, GATEHOUSE_DATA_DIR: dir, GATEHOUSE_KEK: randomBytes(32).toString('base64') };
  configFile = join(dir, 'gatehouse.json');
  await writeFile(configFile, JSON.stringify(CLAIMS_CONFIG));
  // The schema (migrations) exists before the CLI writes the first user.
  assert.equal((await gatehouse(['migrate'])).code, 0);
  const created = await gatehouseProcess(
    [
      'users',
      'create',
      '--username',
      'Ada',
      '--password-stdin',
      '--roles',
      'editor,billing:read',
      '--groups',
      '/org/sales',
      '--attr',
      'department=Sales',
      '--attr',
      'clearance=3',
      '--attr',
      'employee_number=004217',
      '--json',
    ],
    `${PASSWORD}\n`,
  );
  assert.equal(created.code, 0, created.err);
  const view = JSON.parse(created.out) as { id: string; attributes: Record<string, unknown>; groups: string[]; roles: string[] };
  assert.deepEqual(view.attributes, { department: 'Sales', clearance: 3, employee_number: '004217' }, 'clearance stored as an integer');
  op = await startOidcServer({ ...CLAIMS_CONFIG, database: { url: db }, kek: env['GATEHOUSE_KEK'] });
  ada = { id: view.id, username: 'ada', password: PASSWORD, claims: {} };
});
after(async () => {
  await op?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A confidential RP created by the operator through the application layer (as `gatehouse clients create`). */
async function rp(metadata: Record<string, unknown> = {}): Promise<TestRp> {
  const r = await op.gh.services.application.clients.create(OPERATOR, {
    client_name: 'Claims RP',
    redirect_uris: [RP_REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid profile email roles groups org',
    ...metadata,
  });
  return { client_id: r.client.client_id, client_secret: r.client_secret ?? '', client: undefined as never, redirect_uri: RP_REDIRECT, kind: 'confidential' };
}

async function signIn(client: TestRp, scope: string) {
  const cfg = await rpConfig(op, client);
  const flow = await codeFlow(op, cfg, client, new UserAgent(op.url), ada, { scope });
  const info = await oidc.fetchUserInfo(cfg, flow.tokens.access_token, flow.claims.sub);
  return { cfg, flow, idToken: flow.claims as Record<string, unknown>, info: info as Record<string, unknown>, at: decodeJwt(flow.tokens.access_token) };
}

async function introspect(client: TestRp, token: string): Promise<Record<string, unknown>> {
  const as = (await oauth
    .discoveryRequest(new URL(op.url), INSECURE)
    .then((r) => oauth.processDiscoveryResponse(new URL(op.url), r))) as oauth.AuthorizationServer;
  const res = await oauth.introspectionRequest(as, { client_id: client.client_id }, oauth.ClientSecretBasic(client.client_secret), token, INSECURE);
  return (await oauth.processIntrospectionResponse(as, { client_id: client.client_id }, res)) as Record<string, unknown>;
}

const ALL = ['id_token', 'access_token', 'userinfo', 'introspection'];

describe('OIDC Core §5.4 scopes and claim_mappings release roles, groups and custom attributes', () => {
  test('OIDC Core §5.1 preferred_username is the username under profile; roles, groups and attributes reach UserInfo by scope', async () => {
    const { idToken, info, at } = await signIn(await rp(), 'openid profile roles groups org');
    assert.equal(info['preferred_username'], 'ada');
    assert.deepEqual(info['roles'], ['editor', 'billing:read']);
    assert.deepEqual(info['groups'], ['/org/sales']);
    assert.equal(info['department'], 'Sales');
    assert.equal(info['clearance'], 3);
    assert.equal(info['employee_number'], '004217');
    // OIDC Core §5.4: with an access token issued, scope claims come from UserInfo only (no mapping).
    for (const c of ['preferred_username', 'roles', 'groups', 'department']) assert.equal(idToken[c], undefined, `${c} not in the ID token`);
    for (const c of ['roles', 'groups', 'department']) assert.equal(at[c], undefined, `${c} not in the access token`);
  });

  test('claim_mappings send roles, groups and attributes (one renamed) to the ID token, JWT access token, UserInfo and introspection', async () => {
    const client = await rp({
      claim_mappings: {
        roles: { destinations: ALL },
        groups: { destinations: ['id_token', 'userinfo'] },
        department: { claim: 'dept', destinations: ALL },
        employee_number: { destinations: [] },
      },
    });
    const { idToken, info, at, flow } = await signIn(client, 'openid profile roles groups org');
    assert.deepEqual(idToken['roles'], ['editor', 'billing:read']);
    assert.deepEqual(idToken['groups'], ['/org/sales']);
    assert.equal(idToken['dept'], 'Sales', 'renamed in the ID token');
    assert.equal(idToken['department'], undefined, 'not under its own name');
    assert.deepEqual(at['roles'], ['editor', 'billing:read']);
    assert.equal(at['dept'], 'Sales');
    assert.equal(at['groups'], undefined, 'groups were not mapped to the access token');
    assert.equal(info['dept'], 'Sales');
    assert.equal(info['department'], undefined);
    assert.equal(info['employee_number'], undefined, 'empty destinations withhold an attribute from this client');
    assert.equal(info['clearance'], 3, 'an unmapped attribute keeps the default (UserInfo)');
    const body = await introspect(client, flow.tokens.access_token);
    assert.equal(body['active'], true);
    assert.deepEqual(body['roles'], ['editor', 'billing:read']);
    assert.equal(body['dept'], 'Sales');
  });

  test('RFC 7662 an opaque access token carries nothing; introspection releases the mapped claims, read from the user now', async () => {
    const client = await rp({ access_token_format: 'opaque', claim_mappings: { roles: { destinations: ['access_token', 'introspection'] } } });
    const cfg = await rpConfig(op, client);
    const flow = await codeFlow(op, cfg, client, new UserAgent(op.url), ada, { scope: 'openid roles' });
    assert.equal(flow.tokens.access_token.split('.').length, 1, 'opaque');
    assert.deepEqual((await introspect(client, flow.tokens.access_token))['roles'], ['editor', 'billing:read']);
    await op.gh.services.application.users.update(OPERATOR, { user: 'ada', roles: ['editor'] });
    try {
      assert.deepEqual((await introspect(client, flow.tokens.access_token))['roles'], ['editor'], 'current roles');
    } finally {
      await op.gh.services.application.users.update(OPERATOR, { user: 'ada', roles: ['editor', 'billing:read'] });
    }
  });

  test('a client that did not request roles gets no roles anywhere, even with a mapping', async () => {
    const client = await rp({ claim_mappings: { roles: { destinations: ALL }, department: { destinations: ALL } } });
    const { idToken, info, at, flow } = await signIn(client, 'openid profile org');
    assert.equal(info['department'], 'Sales');
    assert.equal(idToken['department'], 'Sales');
    for (const where of [idToken, info, at, await introspect(client, flow.tokens.access_token)]) assert.equal(where['roles'], undefined);
    const plain = await signIn(await rp(), 'openid profile');
    assert.equal(plain.info['preferred_username'], 'ada');
    for (const c of ['roles', 'groups', 'department', 'clearance']) assert.equal(plain.info[c], undefined, `${c} without its scope`);
  });

  test('OIDC Core §5.5 the claims parameter puts a scoped claim in the ID token but cannot release one without its scope', async () => {
    const claims = JSON.stringify({ id_token: { roles: null, department: null, preferred_username: null } });
    const client = await rp();
    const flow = await codeFlow(op, await rpConfig(op, client), client, new UserAgent(op.url), ada, { scope: 'openid roles', claims });
    const id = flow.claims as Record<string, unknown>;
    assert.deepEqual(id['roles'], ['editor', 'billing:read'], 'roles granted by scope, asked into the ID token');
    assert.equal(id['department'], undefined, 'org was not granted: the claims parameter does not widen the scopes');
    assert.equal(id['preferred_username'], 'ada', 'a standard claim named in the claims parameter');
  });

  test("nothing from one user reaches another's tokens: two users of one client each get their own roles, groups and attributes", async () => {
    const client = await rp({ claim_mappings: { roles: { destinations: ALL }, department: { destinations: ALL } } });
    await op.gh.services.application.users.create(OPERATOR, {
      username: 'bob',
      password: PASSWORD,
      roles: ['viewer'],
      attributes: { department: 'R&D' },
    });
    const bob: TestUser = { id: '', username: 'bob', password: PASSWORD, claims: {} };
    const cfg = await rpConfig(op, client);
    const a = await codeFlow(op, cfg, client, new UserAgent(op.url), ada, { scope: 'openid profile roles groups org' });
    const b = await codeFlow(op, cfg, client, new UserAgent(op.url), bob, { scope: 'openid profile roles groups org' });
    const infoB = (await oidc.fetchUserInfo(cfg, b.tokens.access_token, b.claims.sub)) as Record<string, unknown>;
    assert.deepEqual([infoB['preferred_username'], infoB['roles'], infoB['department'], infoB['groups']], ['bob', ['viewer'], 'R&D', undefined]);
    assert.deepEqual([b.claims['roles'], b.claims['department']], [['viewer'], 'R&D']);
    assert.deepEqual(decodeJwt(b.tokens.access_token)['roles'], ['viewer']);
    const introA = await introspect(client, a.tokens.access_token);
    const introB = await introspect(client, b.tokens.access_token);
    assert.deepEqual([introA['roles'], introA['department']], [['editor', 'billing:read'], 'Sales']);
    assert.deepEqual([introB['roles'], introB['department']], [['viewer'], 'R&D']);
  });

  test('the consent page names the roles, groups and configured scopes in plain words', async () => {
    const client = await rp();
    const cfg = await rpConfig(op, client);
    const req = await authRequest(cfg, client, { scope: 'openid roles groups org' });
    const ua = new UserAgent(op.url);
    const login = await ua.navigate(req.url);
    assert.equal(login.kind, 'page');
    const consent = await ua.login((login as Extract<typeof login, { kind: 'page' }>).page, ada.username, ada.password);
    assert.ok(consent.kind === 'page' && consent.page.kind === 'consent', 'the consent page');
    for (const words of ['Your roles', 'The groups you belong to', 'Your department, employee number and clearance'])
      assert.ok(consent.page.text.includes(words), words);
    callbackOf(await ua.consent(consent.page, 'allow'));
  });

  test('S17 discovery lists the roles, groups and configured scopes and their claims', async () => {
    const as = (await (await fetch(`${op.url}/.well-known/openid-configuration`)).json()) as { scopes_supported: string[]; claims_supported: string[] };
    for (const s of ['roles', 'groups', 'org']) assert.ok(as.scopes_supported.includes(s), s);
    for (const c of ['preferred_username', 'roles', 'groups', 'department', 'employee_number', 'clearance']) assert.ok(as.claims_supported.includes(c), c);
  });
});

describe('attribute values, mappings and definitions are checked, with messages that name the problem', () => {
  test('gatehouse users update refuses a bad attribute value (exit code 1, the attribute named) and writes nothing', async () => {
    const bad = await gatehouse(['users', 'update', 'ada', '--attr', 'clearance=high']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /attribute "clearance": must be an integer/);
    const pattern = await gatehouse(['users', 'update', 'ada', '--attr', 'employee_number=12']);
    assert.match(pattern.err, /attribute "employee_number": must match the pattern \[0-9\]\{6\}/);
    const long = await gatehouse(['users', 'update', 'ada', '--attr', `department=${'x'.repeat(33)}`]);
    assert.match(long.err, /attribute "department": must be at most 32 characters/);
    const unknown = await gatehouse(['users', 'update', 'ada', '--attr', 'shoe_size=44']);
    assert.match(unknown.err, /attribute "shoe_size": is not defined in users.attributes \(defined: department, employee_number, clearance\)/);
    const user = await op.gh.services.application.users.show(OPERATOR, { user: 'ada' });
    assert.deepEqual(user.attributes, { department: 'Sales', clearance: 3, employee_number: '004217' }, 'nothing written');
  });

  test('gatehouse users update sets and unsets attributes and replaces groups', async () => {
    const r = await gatehouse(['users', 'update', 'ada', '--attr', 'clearance=4', '--unset-attr', 'employee_number', '--groups', '/org/sales,staff', '--json']);
    assert.equal(r.code, 0, r.err);
    const view = JSON.parse(r.out) as { attributes: Record<string, unknown>; groups: string[] };
    assert.deepEqual(view.attributes, { department: 'Sales', clearance: 4 });
    assert.deepEqual(view.groups, ['/org/sales', 'staff']);
    const back = await gatehouse(['users', 'update', 'ada', '--attr', 'clearance=3', '--attr', 'employee_number=004217', '--groups', '/org/sales']);
    assert.equal(back.code, 0, back.err);
  });

  test('application layer: GH_INVALID_INPUT names the attribute; claim_mappings is refused when it names an unknown source or a reserved claim', async () => {
    const app = op.gh.services.application;
    await assert.rejects(app.users.update(OPERATOR, { user: 'ada', attributes: { clearance: 9 } }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'GH_INVALID_INPUT');
      assert.match(e.message, /attribute "clearance": must be at most 5/);
      return true;
    });
    await assert.rejects(rp({ claim_mappings: { shoe_size: {} } }), /claim_mappings.shoe_size: unknown source/);
    await assert.rejects(rp({ claim_mappings: { roles: { claim: 'sub' } } }), /claim_mappings.roles.claim sub is reserved/);
    await assert.rejects(rp({ claim_mappings: { roles: { destinations: ['everywhere'] } } }), /destinations/);
  });

  test('gatehouse refuses bad attribute definitions at startup, naming each with its path', async () => {
    const badConfig = join(dir, 'bad.json');
    await writeFile(
      badConfig,
      JSON.stringify({
        users: { attributes: { email: { type: 'string' }, level: { type: 'float' }, code: { type: 'string', pattern: '([' } } },
        claims: { scopes: { org: { claims: ['department'], description: 'x' }, roles: { claims: ['code'], description: 'y' } } },
      }),
    );
    const r = await gatehouse(['users', 'list'], '', badConfig);
    assert.equal(r.code, 1);
    assert.match(r.err, /GH_CONFIG_INVALID/);
    assert.match(r.err, /users\.attributes\.level\.type: type must be one of string, integer, number, boolean/);
    assert.match(r.err, /users\.attributes\.code\.pattern: must be a valid regular expression/);
    // Once every definition has the right shape, the cross-checks: names and scope references.
    await writeFile(
      badConfig,
      JSON.stringify({
        users: { attributes: { email: { type: 'string' }, 'cost-centre': { type: 'string' }, code: { type: 'string', minLength: 9, maxLength: 8 } } },
        claims: { scopes: { org: { claims: ['department'], description: 'x' }, roles: { claims: ['code'], description: 'y' } } },
      }),
    );
    const s = await gatehouse(['users', 'list'], '', badConfig);
    assert.equal(s.code, 1);
    assert.match(s.err, /users\.attributes\.email: email is an OpenID Connect standard claim/);
    assert.match(s.err, /users\.attributes\.cost-centre: the name must be a letter, then letters, digits or _/);
    assert.match(s.err, /users\.attributes\.code\.minLength: must not exceed maxLength \(8\)/);
    assert.match(s.err, /claims\.scopes\.org\.claims\.0: department is not defined in users\.attributes \(defined: email, cost-centre, code\)/);
    assert.match(s.err, /claims\.scopes\.roles: roles is a built-in scope/);
  });
});
