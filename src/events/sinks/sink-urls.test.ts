// #9 GATEHOUSE_EVENTS broker sink URLs: what each form means, and that credentials never leak
// into a sink's name, a configuration error or a failure reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAmqpSinkUrl } from './amqp.ts';
import { parseNatsSinkUrl, subjectOf } from './nats.ts';
import { reasonOf, secretsOf, sinkName } from './options.ts';
import { parseRedisSinkUrl } from './redis-streams.ts';

const SECRET = 'p%40ss-w0rd-1234';

function rejectsWithoutSecret(parse: (u: URL) => unknown, href: string, pattern: RegExp): void {
  assert.throws(
    () => parse(new URL(href)),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, 'GH_CONFIG_INVALID');
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes('p@ss') && !e.message.includes(SECRET), e.message);
      return true;
    },
  );
}

test('#9 a sink name is its URL without user name and password', () => {
  assert.equal(sinkName(new URL(`amqp://gatehouse:${SECRET}@mq.internal:5672/prod?exchange=events`)), 'amqp://mq.internal:5672/prod?exchange=events');
  assert.equal(sinkName(new URL('nats://s3cr3t-token@nats.internal:4222?subject=gh')), 'nats://nats.internal:4222?subject=gh');
  assert.equal(sinkName(new URL('redis://127.0.0.1:6379/2?stream=gh')), 'redis://127.0.0.1:6379/2?stream=gh');
});

test('#9 failure reasons have the URL credentials replaced, raw and decoded', () => {
  const secrets = secretsOf(new URL(`amqp://gatehouse-publisher:${SECRET}@h/?exchange=x`));
  const reason = reasonOf(new Error('ACCESS_REFUSED for gatehouse-publisher with p@ss-w0rd-1234 (p%40ss-w0rd-1234)'), secrets);
  assert.equal(reason, 'ACCESS_REFUSED for *** with *** (***)');
  // A short user name is only replaced as a whole word, so messages stay readable.
  assert.equal(reasonOf(new Error('connection refused by u'), secretsOf(new URL('nats://u:pw@h?subject=x'))), 'connection refused by ***');
  assert.equal(reasonOf(Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' }), []), 'ECONNREFUSED connect refused');
});

test('#9 redis:// and rediss:// sink URLs: database, stream, maxlen, TLS, credentials', () => {
  const plain = parseRedisSinkUrl(new URL('redis://127.0.0.1:6380/3?stream=gatehouse-events&maxlen=100000'));
  assert.deepEqual(plain, { stream: 'gatehouse-events', maxlen: 100000, connection: { host: '127.0.0.1', port: 6380, db: 3 } });
  const tls = parseRedisSinkUrl(new URL(`rediss://default:${SECRET}@cache.example.net/?stream=s`));
  assert.deepEqual(tls.connection, {
    host: 'cache.example.net',
    port: 6379,
    db: 0,
    username: 'default',
    password: 'p@ss-w0rd-1234',
    tls: { servername: 'cache.example.net' },
  });
  assert.equal(tls.maxlen, null);
  rejectsWithoutSecret(parseRedisSinkUrl, `redis://u:${SECRET}@h:6379/0`, /stream query parameter is required/);
  rejectsWithoutSecret(parseRedisSinkUrl, `redis://u:${SECRET}@h:6379/x?stream=s`, /database number/);
  rejectsWithoutSecret(parseRedisSinkUrl, `redis://u:${SECRET}@h:6379/0?stream=s&maxlen=-1`, /maxlen/);
});

test('#9 amqp:// and amqps:// sink URLs: virtual host, exchange, TLS port, credentials', () => {
  const d = parseAmqpSinkUrl(new URL('amqp://guest:guest@127.0.0.1:5672/?exchange=gatehouse'));
  assert.deepEqual(d, {
    exchange: 'gatehouse',
    connection: { protocol: 'amqp', hostname: '127.0.0.1', port: 5672, username: 'guest', password: 'guest', vhost: '/', heartbeat: 30 },
  });
  assert.equal(parseAmqpSinkUrl(new URL('amqp://h?exchange=e')).connection.vhost, '/');
  assert.equal(parseAmqpSinkUrl(new URL('amqp://h/%2F?exchange=e')).connection.vhost, '/');
  const s = parseAmqpSinkUrl(new URL(`amqps://gatehouse:${SECRET}@mq.example.net/prod%2Fevents?exchange=e&heartbeat=10`));
  assert.deepEqual(s.connection, {
    protocol: 'amqps',
    hostname: 'mq.example.net',
    port: 5671,
    username: 'gatehouse',
    password: 'p@ss-w0rd-1234',
    vhost: 'prod/events',
    heartbeat: 10,
  });
  rejectsWithoutSecret(parseAmqpSinkUrl, `amqp://u:${SECRET}@h/`, /exchange query parameter is required/);
  rejectsWithoutSecret(parseAmqpSinkUrl, `amqp://u:${SECRET}@h/?exchange=amq.topic`, /not amq\./);
});

test('#9 nats:// and TLS NATS sink URLs: tls:// or ?tls=true require TLS; user:pass or a token; subject = PREFIX.type', () => {
  assert.deepEqual(parseNatsSinkUrl(new URL('nats://127.0.0.1:4222?subject=gatehouse')), {
    server: '127.0.0.1:4222',
    prefix: 'gatehouse',
    tls: false,
    auth: null,
  });
  assert.deepEqual(parseNatsSinkUrl(new URL(`tls://gh:${SECRET}@nats.example.net?subject=org.idp`)), {
    server: 'nats.example.net:4222',
    prefix: 'org.idp',
    tls: true,
    auth: { user: 'gh', pass: 'p@ss-w0rd-1234' },
  });
  assert.deepEqual(parseNatsSinkUrl(new URL('nats://s3cr3t-token@nats.example.net:4443?subject=gh&tls=true')), {
    server: 'nats.example.net:4443',
    prefix: 'gh',
    tls: true,
    auth: { token: 's3cr3t-token' },
  });
  rejectsWithoutSecret(parseNatsSinkUrl, `nats://u:${SECRET}@h:4222`, /subject query parameter is required/);
  rejectsWithoutSecret(parseNatsSinkUrl, `nats://u:${SECRET}@h:4222?subject=gh.*`, /wildcards/);
  rejectsWithoutSecret(parseNatsSinkUrl, `nats://u:${SECRET}@h:4222?subject=gh.`, /dot-separated/);
  rejectsWithoutSecret(parseNatsSinkUrl, `tls://u:${SECRET}@h:4222?subject=gh&tls=false`, /contradicts/);
  const event = { type: 'gatehouse.token.issued' } as Parameters<typeof subjectOf>[1];
  assert.equal(subjectOf('org.idp', event), 'org.idp.gatehouse.token.issued');
});
