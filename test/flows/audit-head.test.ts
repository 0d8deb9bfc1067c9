/**
 * The audit chain head is published periodically (docs/audit.md): the `audit.head_published`
 * event, the `gatehouse_audit_head_seq` gauge on /metrics and a log line; an admin API
 * mutation over real HTTP lands in the chain with the caller's address as its origin, and the
 * published head is what `audit verify --head` checks against.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { verifyAuditChain } from '../../src/core/audit/verify-chain.ts';
import type { EventMap } from '../../src/core/events.ts';
import { adminApi } from '../support/admin-api.ts';
import { startTestServer } from '../support/server.ts';

const server = await startTestServer({ audit: { headInterval: 1 } });
after(() => server.close());
const api = await adminApi(server);

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('an admin API mutation is audited with the caller address; the head is published as event and gauge and verifies', async () => {
  const heads: EventMap['audit.head_published'][] = [];
  server.gh.services.events.on('audit.head_published', (e) => heads.push(e));
  const res = await api.call('POST', '/keys/rotate');
  assert.equal(res.status, 200);
  const audit = server.gh.services.storage.audit;
  const [rec] = await audit.list('default', {}, { limit: 1, order: 'desc' });
  assert.deepEqual([rec?.action, rec?.actor.kind, rec?.origin, rec?.outcome], ['keys.rotate', 'admin_client', '127.0.0.1', 'success']);

  const published = await until('a published head with the rotation', async () => heads.find((h) => h.seq === rec!.seq));
  assert.equal(published.hash, rec!.hash);
  const gauge = await until('the gauge', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const m = /^gatehouse_audit_head_seq (\d+)$/m.exec(text);
    return m && Number(m[1]) === rec!.seq ? Number(m[1]) : undefined;
  });
  assert.equal(gauge, rec!.seq);
  assert.equal((await verifyAuditChain(audit, 'default', { seq: published.seq, hash: published.hash })).ok, true);
});
