/**
 * The operator commands added with the application layer, run through the real CLI entry point
 * (`main`) against a real SQLite file: clients update/delete, users update/delete, tokens,
 * sessions (with a real back-channel logout receiver), consents, and `--json` paging.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/types.ts';
import { DEFAULT_TENANT } from '../../src/core/model/tenant.ts';
import type { Storage } from '../../src/core/ports/index.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import { receiver, type LogoutReceiver } from '../support/logout-rp.ts';

let dir: string;
let dbUrl: string;
let env: Record<string, string>;
let rp: LogoutReceiver;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gh-cli-ops-'));
  dbUrl = `sqlite:${join(dir, 'g.db')}`;
  env = {
    GATEHOUSE_DATABASE_URL: dbUrl,
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_KEK: randomBytes(32).toString('base64'),
    USER: 'ops',
    GATEHOUSE_OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
  };
  rp = await receiver(200);
});
after(async () => {
  await rp.close();
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
}
async function gh(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => 'correct horse battery\n', env };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const json = <T = Record<string, unknown>>(r: Run): T => {
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as T;
};
type List<T = Record<string, unknown>> = { items: T[]; next_cursor: string | null };

async function withStore<T>(fn: (s: Storage) => Promise<T>): Promise<T> {
  const s = await createStorage(dbUrl);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** Follows next_cursor with --limit 1 and returns every page. */
async function allPages(...args: string[]): Promise<List[]> {
  const pages: List[] = [];
  for (let cursor: string | null = null; ; ) {
    const page: List = json(await gh(...args, '--limit', '1', '--json', ...(cursor ? ['--cursor', cursor] : [])));
    pages.push(page);
    if (page.next_cursor === null) return pages;
    cursor = page.next_cursor;
  }
}

describe('gatehouse clients update, delete and list paging', () => {
  test('clients list --json pages through next_cursor: exactly { items, next_cursor }', async () => {
    for (const name of ['Zeta', 'Eta']) json(await gh('clients', 'create', '--name', name, '--grant-types', 'client_credentials', '--json'));
    const pages = await allPages('clients', 'list', '--sort', 'client_name');
    assert.deepEqual(
      pages.map((p) => Object.keys(p)),
      [
        ['items', 'next_cursor'],
        ['items', 'next_cursor'],
      ],
    );
    assert.deepEqual(
      pages.map((p) => p.items.map((c) => c['client_name'])),
      [['Eta'], ['Zeta']],
    );
    assert.equal(pages[1]!.next_cursor, null);
    const table = await gh('clients', 'list', '--limit', '1', '--sort', 'client_name');
    assert.match(table.out, /^CLIENT_ID\s+NAME\s+AUTH METHOD\s+GRANT TYPES\s+STATUS$/m);
    assert.match(table.out, /more: repeat with --cursor [A-Za-z0-9_-]+$/);
    const bad = await gh('clients', 'list', '--cursor', 'garbage!');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /cursor: not base64url.*\[GH_INVALID_INPUT\]/);
    assert.equal((await gh('clients', 'list', '--limit', 'ten')).code, 2);
  });

  test('RFC 7592 §2.2 clients update changes only the named members and validates as create does', async () => {
    const c = json(await gh('clients', 'create', '--name', 'Web', '--redirect-uris', 'https://web.example/cb', '--json'));
    const id = String(c['client_id']);
    const u = json(await gh('clients', 'update', id, '--name', 'Web 2', '--scopes', 'openid,profile', '--json'));
    assert.deepEqual(
      [u['client_name'], u['scope'], u['redirect_uris'], u['client_secret']],
      ['Web 2', 'openid profile', ['https://web.example/cb'], undefined],
    );
    const unset = json(await gh('clients', 'update', id, '--unset', 'scope', '--json'));
    assert.equal(unset['scope'], undefined);
    const bad = await gh('clients', 'update', id, '--redirect-uris', 'https://web.example/cb#x');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /invalid_redirect_uri: .*fragment.*\[GH_INVALID_INPUT\]/);
    assert.equal(json(await gh('clients', 'show', id, '--json'))['client_name'], 'Web 2');
    assert.equal((await gh('clients', 'update', id)).code, 2, 'nothing to change');
    assert.match((await gh('clients', 'update', 'ghost', '--name', 'x')).err, /\[GH_NOT_FOUND\]/);
  });

  test('clients delete refuses without --yes, then removes the client', async () => {
    const id = String(json(await gh('clients', 'create', '--name', 'Gone', '--grant-types', 'client_credentials', '--json'))['client_id']);
    const refused = await gh('clients', 'delete', id);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /cannot be undone: add --yes/);
    assert.equal(json(await gh('clients', 'show', id, '--json'))['client_id'], id);
    assert.deepEqual(json(await gh('clients', 'delete', id, '--yes', '--json')), { client_id: id, grants_revoked: 0, consents_deleted: 0 });
    assert.match((await gh('clients', 'show', id)).err, /\[GH_NOT_FOUND\]/);
  });
});

describe('gatehouse users update, delete, tokens, sessions and consents', () => {
  let rpId: string;
  let aliceId: string;
  before(async () => {
    json(await gh('keys', 'rotate', '--json'));
    rpId = String(
      json(
        await gh(
          'clients',
          'create',
          '--name',
          'RP',
          '--redirect-uris',
          'http://127.0.0.1:9/cb',
          '--backchannel-logout-uri',
          rp.url,
          '--backchannel-logout-session-required',
          '--json',
        ),
      )['client_id'],
    );
    aliceId = String(json(await gh('users', 'create', '--username', 'alice', '--password-stdin', '--json'))['id']);
    json(await gh('users', 'create', '--username', 'bob', '--password-stdin', '--json'));
    await withStore(async (s) => {
      const now = Math.floor(Date.now() / 1000);
      for (const [hash, grantId] of [
        ['h1', 'grant-1'],
        ['h2', 'grant-2'],
      ] as const) {
        await s.tokens.insert({
          tenantId: DEFAULT_TENANT,
          hash,
          kind: 'refresh_token',
          jti: `j-${hash}`,
          clientId: rpId,
          subject: aliceId,
          userId: aliceId,
          scope: 'openid offline_access',
          audience: [],
          grantId,
          parentHash: null,
          issuedAt: now - (hash === 'h1' ? 20 : 10),
          expiresAt: now + 3600,
          cnf: null,
          claims: {},
          revokedAt: null,
          consumedAt: null,
        });
      }
      for (const [i, sid] of ['sid-1', 'sid-2'].entries()) {
        await s.sessions.create({
          tenantId: DEFAULT_TENANT,
          hash: `sess-${i}`,
          createdAt: now,
          lastSeenAt: now,
          expiresAt: now + 3600,
          currentUserId: aliceId,
          accounts: [{ userId: aliceId, sid, authTime: now - 100 + i, amr: ['pwd'], acr: null, clientIds: [rpId] }],
        });
      }
      for (const clientId of [rpId, 'other-client'])
        await s.consents.put({ tenantId: DEFAULT_TENANT, userId: aliceId, clientId, scopes: ['openid'], claims: [], createdAt: now, updatedAt: now });
    });
  });

  test('users update --claim/--claims/--roles merges claims and replaces roles; users list pages', async () => {
    const u = json(
      await gh(
        'users',
        'update',
        'alice',
        '--claim',
        'name=Alice A',
        '--claim',
        'email_verified=false',
        '--claims',
        '{"email":"a@example.com"}',
        '--roles',
        'admin,user',
        '--json',
      ),
    );
    assert.deepEqual(
      [u['roles'], (u['claims'] as Record<string, unknown>)['name'], (u['claims'] as Record<string, unknown>)['email_verified']],
      [['admin', 'user'], 'Alice A', false],
    );
    assert.equal((json(await gh('users', 'update', 'alice', '--claim', 'name=null', '--json'))['claims'] as Record<string, unknown>)['name'], undefined);
    assert.match((await gh('users', 'update', 'alice', '--claim', 'shoe_size=44')).err, /unknown claim "shoe_size".*\[GH_INVALID_INPUT\]/);
    assert.equal((await gh('users', 'update', 'alice')).code, 2);
    assert.deepEqual(
      (await allPages('users', 'list')).map((p) => p.items.map((x) => x['username'])),
      [['alice'], ['bob']],
    );
  });

  test('tokens list --user/--client pages grants; tokens revoke --grant revokes one', async () => {
    const pages = await allPages('tokens', 'list', '--user', 'alice');
    assert.deepEqual(
      pages.map((p) => p.items.map((g) => g['grant_id'])),
      [['grant-1'], ['grant-2']],
    );
    assert.match((await gh('tokens', 'list', '--client', rpId)).out, /^GRANT_ID\s+CLIENT_ID\s+USER_ID\s+SCOPE\s+ISSUED\s+LAST USED\s+EXPIRES\s+TOKENS$/m);
    assert.deepEqual(json(await gh('tokens', 'revoke', '--grant', 'grant-1', '--json')), { grant_id: 'grant-1', tokens_revoked: 1 });
    assert.deepEqual(
      json<List>(await gh('tokens', 'list', '--client', rpId, '--json')).items.map((g) => g['grant_id']),
      ['grant-2'],
    );
    assert.equal((await gh('tokens', 'list')).code, 2, 'needs --user or --client');
    assert.equal((await gh('tokens', 'revoke', '--user', 'alice', '--client', rpId)).code, 2, 'exactly one target');
  });

  test('consents list and revoke', async () => {
    const pages = await allPages('consents', 'list', 'alice');
    assert.deepEqual(
      pages.map((p) => p.items.map((c) => c['client_id'])),
      ['other-client', rpId].sort().map((c) => [c]),
    );
    assert.deepEqual(json(await gh('consents', 'revoke', 'alice', 'other-client', '--json')), { user_id: aliceId, client_id: 'other-client' });
    assert.match((await gh('consents', 'revoke', 'alice', 'other-client')).err, /\[GH_NOT_FOUND\]/);
    assert.match((await gh('consents', 'list', 'alice')).out, /^CLIENT_ID\s+SCOPES\s+CLAIMS\s+GIVEN\s+UPDATED$/m);
  });

  test('OIDC Back-Channel Logout §2.5 sessions list pages; sessions end --sid sends the RP a Logout Token before the CLI exits', async () => {
    const pages = await allPages('sessions', 'list', 'alice');
    assert.deepEqual(
      pages.map((p) => p.items.map((s) => s['sid'])),
      [['sid-1'], ['sid-2']],
    );
    assert.deepEqual(json(await gh('sessions', 'end', '--sid', 'sid-1', '--json')), { user_id: aliceId, sessions_ended: 1, backchannel: 1 });
    assert.equal(rp.tokens.length, 1, 'delivered before the command returned');
    assert.deepEqual([decodeJwt(rp.tokens[0]!).sid, decodeJwt(rp.tokens[0]!).aud], ['sid-1', rpId]);
    assert.match((await gh('sessions', 'list', 'alice')).out, /^SID\s+SIGNED IN\s+AMR\s+ACR\s+CLIENTS\s+LAST SEEN\n\S*sid-2/m);
    assert.equal((await gh('sessions', 'end', '--sid', 'sid-1')).code, 1);
    assert.equal((await gh('sessions', 'end')).code, 2);
  });

  test("users delete --yes ends the rest of alice's sessions, revokes her grants, deletes her consents and her", async () => {
    assert.equal((await gh('users', 'delete', 'alice')).code, 2, 'needs --yes');
    assert.deepEqual(json(await gh('users', 'delete', 'alice', '--yes', '--json')), {
      id: aliceId,
      username: 'alice',
      sessions_ended: 1,
      grants_revoked: 1,
      consents_deleted: 1,
    });
    assert.deepEqual(
      rp.tokens.map((t) => decodeJwt(t).sid),
      ['sid-1', 'sid-2'],
    );
    assert.match((await gh('users', 'show', 'alice')).err, /\[GH_NOT_FOUND\]/);
    assert.equal(await withStore(async (s) => (await s.tokens.find(DEFAULT_TENANT, 'h2'))?.revokedAt !== null), true);
    assert.deepEqual(
      json<List>(await gh('users', 'list', '--json')).items.map((u) => u['username']),
      ['bob'],
    );
  });
});
