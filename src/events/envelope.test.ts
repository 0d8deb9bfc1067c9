import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloudEvent as ReferenceCloudEvent, HTTP } from 'cloudevents';
import { EVENT_CATALOGUE, EVENT_NAMES, eventNameOf, selectEvents } from '../core/event-catalogue.ts';
import { buildEnvelope } from './envelope.ts';
import { uuidv7 } from './uuid7.ts';

const ISSUER = 'https://id.example.com';
const T = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

test('CloudEvents 1.0: every envelope validates with the independent cloudevents implementation', () => {
  const e = buildEnvelope(
    ISSUER,
    'token.issued',
    { tenantId: 'default', clientId: 'c1', grantType: 'client_credentials', tokenType: 'access_token', format: 'jwt', jti: 'j1', subject: 'c1' },
    T,
  );
  const ref = new ReferenceCloudEvent({ ...e }, true);
  assert.equal(ref.validate(), true);
  assert.equal(ref.specversion, '1.0');
  assert.equal(ref.type, 'gatehouse.token.issued');
  assert.equal(ref.source, ISSUER);
  assert.equal(ref.time, '2026-01-02T03:04:05.678Z');
  assert.equal(ref.subject, 'c1');
  assert.equal(ref['tenantid'], 'default');
  assert.equal(ref.datacontenttype, 'application/json');
  // Round trip through the HTTP structured-mode binding, as a webhook receiver would read it.
  const back = HTTP.toEvent({ headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(e) }) as ReferenceCloudEvent;
  assert.equal(back.id, e.id);
  assert.deepEqual(back.data, e.data);
});

test('CloudEvents 1.0: an envelope of every catalogue event validates (generic payloads)', () => {
  for (const name of EVENT_NAMES) {
    const e = buildEnvelope(
      ISSUER,
      name,
      { tenantId: 't1', clientId: 'c', userId: 'u', kid: 'k', policy: 'p', route: '/token', dependency: 'store' } as never,
      T,
    );
    assert.equal(new ReferenceCloudEvent({ ...e }, true).validate(), true, name);
    assert.equal(eventNameOf(e.type), name);
  }
});

test('private fields never leave the process: request.failed and authorization.denied lose `detail`', () => {
  const denied = buildEnvelope(
    ISSUER,
    'authorization.denied',
    { tenantId: 'default', clientId: 'c1', error: 'invalid_scope', redirected: true, detail: 'scope admin not allowed for c1' },
    T,
  );
  assert.equal('detail' in denied.data, false);
  assert.equal(denied.data.error, 'invalid_scope');
  const failed = buildEnvelope(ISSUER, 'request.failed', { route: '/token', code: 'server_error', detail: 'stack trace …' }, T);
  assert.equal('detail' in failed.data, false);
  assert.equal(failed.subject, '/token');
  assert.equal(failed.tenantid, 'default', 'events without a tenant belong to the default tenant');
  for (const [name, spec] of Object.entries(EVENT_CATALOGUE)) {
    if ('private' in spec) assert.ok(['request.failed', 'authorization.denied'].includes(name), `${name} has private fields: test them here`);
  }
});

test('RFC 9562 §5.7: ids are UUID v7, unique and strictly increasing even within one millisecond', () => {
  const ids = Array.from({ length: 5000 }, () => uuidv7(T));
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
  assert.match(ids[0]!, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(Number.parseInt(ids[0]!.replaceAll('-', '').slice(0, 12), 16), T, 'the first 48 bits are the Unix milliseconds');
  assert.ok(uuidv7(T + 1) > ids[ids.length - 1]!);
});

test('type filters: `*`, a prefix glob, exact names with or without gatehouse.', () => {
  assert.equal(selectEvents(['*']).names.size, EVENT_NAMES.length);
  assert.deepEqual([...selectEvents(['token.*']).names].sort(), ['token.exchanged', 'token.introspected', 'token.issued', 'token.revoked']);
  assert.deepEqual([...selectEvents(['gatehouse.client.created', 'user.deleted']).names], ['client.created', 'user.deleted']);
  assert.deepEqual(selectEvents(['nope.*']).unknown, ['nope.*']);
});
