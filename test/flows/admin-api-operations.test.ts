/**
 * Admin API: events (the outbox and sink health), device authorization requests (RFC 8628) and
 * settings, over real HTTP with admin tokens from the token endpoint; the device is oauth4webapi.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/core/device-authorization/device-authorization.ts';
import type { EventName } from '../../src/core/events.ts';
import { adminApi, auditOf, type AdminApi } from '../support/admin-api.ts';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';
import { TEST_WEBHOOK_SECRET, webhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

let s: TestServer;
let api: AdminApi;
let rx: WebhookReceiver;
let as: oauth.AuthorizationServer;
const seen: { name: EventName; payload: Record<string, unknown> }[] = [];

before(async () => {
  rx = await webhookReceiver();
  await rx.up();
  // The receiver refuses everything: each delivery fails once and, with no retries, is dead-lettered.
  rx.answer = () => 503;
  s = await startTestServer({
    events: { urls: [rx.url], types: ['client.*', 'device_code.*'], retries: 0, sinks: { [rx.url]: { secret: TEST_WEBHOOK_SECRET } } },
  });
  as = await discover(s.url);
  api = await adminApi(s);
  s.gh.services.events.on('device_code.decided', (p) => seen.push({ name: 'device_code.decided', payload: p as unknown as Record<string, unknown> }));
});
after(async () => {
  await s.close();
  await rx.down();
});

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

type EventItem = {
  id: string;
  type: string;
  subject: string | null;
  data: Record<string, unknown>;
  deliveries: { sink: string; state: string; attempts: number; last_error: string | null }[];
};

describe('events', () => {
  test('GET /events lists outbox events newest first with each sink delivery state, paged by cursor', async () => {
    const ids: string[] = [];
    for (const name of ['ev-one', 'ev-two', 'ev-three']) {
      const r = await api.call('POST', '/clients', {
        body: { client_name: name, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' },
      });
      assert.equal(r.status, 201);
      ids.push(r.body['client_id'] as string);
    }
    await until('dead letters', async () => {
      const page = await api.call('GET', '/events?limit=3&q=gatehouse.client.created');
      return (page.body['items'] as EventItem[]).every((e) => e.deliveries[0]?.state === 'dead');
    });
    const first = await api.call('GET', '/events?limit=2&q=gatehouse.client.created', { token: api.readToken });
    assert.equal(first.status, 200);
    const items = first.body['items'] as EventItem[];
    assert.deepEqual(
      items.map((e) => e.subject),
      [ids[2], ids[1]],
      'newest first',
    );
    assert.equal(items[0]!.type, 'gatehouse.client.created');
    assert.deepEqual((items[0]!.data['actor'] as { kind: string }).kind, 'admin_client');
    assert.deepEqual(
      items[0]!.deliveries.map((d) => [d.sink, d.state, d.attempts]),
      [[rx.url, 'dead', 1]],
    );
    assert.ok(items[0]!.deliveries[0]!.last_error, 'the failure is named');
    assert.equal(typeof first.body['next_cursor'], 'string');
    const second = await api.call('GET', `/events?limit=2&q=gatehouse.client.created&cursor=${first.body['next_cursor'] as string}`);
    assert.equal((second.body['items'] as EventItem[])[0]!.subject, ids[0], 'the next page continues after the cursor');
  });

  test('GET /events/sinks reports per sink: pending, lag, dead letters and the breaker', async () => {
    const r = await api.call('GET', '/events/sinks', { token: api.readToken });
    assert.equal(r.status, 200);
    assert.equal(r.body['streaming'], true);
    const [sink] = r.body['sinks'] as { sink: string; pending: number; lag_ms: number; dead_letters: number; breaker: string }[];
    assert.equal(sink!.sink, rx.url);
    assert.ok(sink!.dead_letters >= 3);
    assert.equal(typeof sink!.lag_ms, 'number');
    assert.ok(['closed', 'open', 'half_open'].includes(sink!.breaker), 'a webhook has the outbound breaker of its origin');
  });

  test('RFC 9457: a cursor that is not one, and an ascending sort, are 400 problems', async () => {
    assert.equal((await api.call('GET', '/events?cursor=!!')).status, 400);
    const r = await api.call('GET', '/events?sort=created_at');
    assert.equal(r.status, 400);
    assert.equal(r.body['code'], 'GH_INVALID_INPUT');
  });
});

describe('device-codes', () => {
  test('RFC 8628 §3.5: an operator denies a pending request; the device is told access_denied, audited, with an event', async () => {
    const tv = await createTestClient(s.gh, { token_endpoint_auth_method: 'none', grant_types: [DEVICE_CODE_GRANT_TYPE], scope: 'read' });
    const device: oauth.Client = { client_id: tv.client_id };
    const started = await oauth.processDeviceAuthorizationResponse(
      as,
      device,
      await oauth.deviceAuthorizationRequest(as, device, oauth.None(), { scope: 'read' }, INSECURE),
    );
    const list = await api.call('GET', '/device-codes', { token: api.readToken });
    assert.equal(list.status, 200);
    const pending = (list.body['items'] as { id: string; client_id: string; scope: string }[]).find((d) => d.client_id === tv.client_id);
    assert.ok(pending, 'the pending request is listed');
    assert.equal(pending.scope, 'read');
    assert.ok(!JSON.stringify(list.body).includes(started.device_code), 'never the device code');
    assert.ok(!JSON.stringify(list.body).includes(started.user_code), 'never the user code');

    assert.equal((await api.call('POST', `/device-codes/${pending.id}/deny`, { token: api.readToken })).status, 403, 'read-only cannot deny');
    const denied = await api.call('POST', `/device-codes/${pending.id}/deny`);
    assert.equal(denied.status, 200);
    assert.equal(denied.body['status'], 'denied');

    const res = await oauth.deviceCodeGrantRequest(as, device, oauth.None(), started.device_code, INSECURE);
    await assert.rejects(oauth.processDeviceCodeResponse(as, device, res), (e: oauth.ResponseBodyError) => e.error === 'access_denied');

    const again = await api.call('POST', `/device-codes/${pending.id}/deny`);
    assert.equal(again.status, 404, 'a decided request is no longer pending');
    const listed = (await api.call('GET', '/device-codes')).body['items'] as { id: string }[];
    assert.ok(!listed.some((d) => d.id === pending.id));
    const audit = await auditOf(s, 'device_codes.deny');
    assert.equal(audit.length, 2, 'the deny and the refused second deny are both audited');
    assert.deepEqual(
      audit.map((a) => [a.outcome, a.actor.kind, a.object.id]),
      [
        [audit[0]!.outcome, 'admin_client', pending.id],
        ['success', 'admin_client', pending.id],
      ],
    );
    assert.notEqual(audit[0]!.outcome, 'success');
    const ev = seen.find((e) => e.payload['clientId'] === tv.client_id);
    assert.ok(ev, 'device_code.decided emitted');
    assert.equal(ev.payload['status'], 'denied');
    assert.equal((ev.payload['actor'] as { kind: string }).kind, 'admin_client');
  });
});

describe('settings', () => {
  test('S5: GET /settings shows the effective configuration with the KEK redacted; there is no write route', async () => {
    const r = await api.call('GET', '/settings', { token: api.readToken });
    assert.equal(r.status, 200);
    assert.equal(r.body['issuer'], s.url);
    assert.equal(r.body['kek'], '[redacted]');
    const kek = s.gh.services.config.kek;
    assert.ok(kek && !JSON.stringify(r.body).includes(kek), 'the KEK never leaves');
    assert.equal((await api.call('PATCH', '/settings', { body: {}, type: 'application/merge-patch+json' })).status, 404);
  });
});
