/**
 * KEK rotation (docs/operations.md) over real HTTP and the real CLI, on one SQLite file:
 * keys created under KEK A; B current + A previous: the server still signs (client_credentials
 * JWTs that verify against its JWKS); `gatehouse kek rotate` re-seals every key under B
 * (idempotent, audited); B alone: still signs and verifies; A alone afterwards: a clear error
 * naming the KEK, never a stack trace.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/types.ts';
import { kekId, sealedKekId } from '../../src/core/keys/kek.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import * as oauth from 'oauth4webapi';
import { clientCredentials, discover, INSECURE } from '../support/oauth-client.ts';
import { createTestClient, startTestServer, type TestClient } from '../support/server.ts';

const A = randomBytes(32);
const B = randomBytes(32);
let dir: string;
let db: string;
let client: TestClient;
/** client_secret_jwt: its secret is sealed under the KEK too. */
let jwtClient: TestClient;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gh-kek-'));
  db = `sqlite:${join(dir, 'g.db')}`;
});
after(() => rm(dir, { recursive: true, force: true }));

const b64 = (k: Buffer) => k.toString('base64');

/** Starts a server on the shared file with these KEKs, issues a client_credentials JWT and verifies it against the JWKS. */
async function signsAndVerifies(kek: Buffer, previous: Buffer[] = []): Promise<void> {
  const s = await startTestServer({ database: { url: db }, kek: b64(kek), kekPrevious: previous.map(b64), keys: { algorithms: ['ES256', 'RS256'] } });
  try {
    client ??= await createTestClient(s.gh);
    jwtClient ??= await createTestClient(s.gh, { token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'HS256' });
    const as = await discover(s.url);
    const t = await clientCredentials(as, client, { scope: 'read' });
    const { payload } = await jwtVerify(t.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), { issuer: s.url });
    assert.equal(payload['client_id'], client.client_id);
    // client_secret_jwt (RFC 7523): the server opens the sealed secret to check the assertion's HMAC.
    const c: oauth.Client = { client_id: jwtClient.client_id };
    const res = await oauth.clientCredentialsGrantRequest(as, c, oauth.ClientSecretJwt(jwtClient.client_secret), { scope: 'read' }, INSECURE);
    assert.ok((await oauth.processClientCredentialsResponse(as, c, res)).access_token);
  } finally {
    await s.close();
  }
}

async function gh(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    readStdin: async () => '',
    env: { GATEHOUSE_DATABASE_URL: db, GATEHOUSE_DATA_DIR: dir, USER: 'ops', ...env },
  };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function sealedUnder(): Promise<(string | null)[]> {
  const s = await createStorage(db);
  try {
    const secret = (await s.clients.get('default', jwtClient.client_id))!.secretEncrypted!;
    return [...(await s.keyStore.list('default')).map((k) => sealedKekId(k.privateJwkEncrypted)), sealedKekId(secret) ?? 'v1'];
  } finally {
    await s.close();
  }
}

test('keys created under KEK A sign and verify', async () => {
  await signsAndVerifies(A);
  const ids = await sealedUnder();
  assert.ok(ids.length >= 5);
  assert.ok(ids.slice(0, -1).every((id) => id === kekId(A)));
  assert.equal(ids.at(-1), 'v1', 'client secrets are sealed in the v1 envelope (no KEK id)');
});

test('during the change (B current, A previous) the server still signs and opens client secrets; kek rotate re-seals every key and client secret under B, idempotently, and is audited', async () => {
  await signsAndVerifies(B, [A]);
  const env = { GATEHOUSE_KEK: b64(B), GATEHOUSE_KEK_PREVIOUS: b64(A) };
  const r = await gh(env, 'kek', 'rotate', '--json');
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  assert.equal(report.kek_id, kekId(B));
  assert.equal(report.resealed, report.keys);
  assert.deepEqual([report.client_secrets, report.client_secrets_resealed], [1, 1]);
  assert.ok((await sealedUnder()).every((id) => id === kekId(B)));
  const again = JSON.parse((await gh(env, 'kek', 'rotate', '--json')).out);
  assert.deepEqual([again.resealed, again.already_current, again.client_secrets_resealed], [0, report.keys, 0], 'idempotent');
  const audit = await gh(env, 'audit', '--action', 'kek.rotate', '--json');
  assert.equal(audit.out.trim().split('\n').length, 2);
});

test('after the change B alone signs, verifies and authenticates client_secret_jwt', async () => {
  await signsAndVerifies(B);
});

test('with A alone afterwards the server and the CLI fail with a clear error naming the KEK, never a stack trace', async () => {
  await assert.rejects(signsAndVerifies(A), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'GH_KEK_DECRYPT_FAILED');
    assert.match(e.message, new RegExp(`sealed under KEK ${kekId(B)}, which is neither GATEHOUSE_KEK \\(${kekId(A)}\\) nor in GATEHOUSE_KEK_PREVIOUS`));
    return true;
  });
  const r = await gh({ GATEHOUSE_KEK: b64(A) }, 'kek', 'rotate');
  assert.equal(r.code, 1);
  assert.match(r.err, /^gatehouse kek: .*sealed under KEK .* \[GH_KEK_DECRYPT_FAILED\]$/);
  assert.doesNotMatch(r.err, /\n\s+at /);
});
