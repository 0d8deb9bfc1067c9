import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { recordEvents, settableClock, T0 } from '../../test/support/core-fixtures.ts';
import type { BackchannelLogoutMessage } from '../core/end-session/logout-notifier.ts';
import { OutboundError, type OutboundHttp, type OutboundRequest } from '../core/ports/outbound-http.ts';
import { createBackchannelDelivery, type BackchannelDeliveryOptions } from './backchannel-delivery.ts';

const message: BackchannelLogoutMessage = {
  tenantId: 'default',
  clientId: 'rp1',
  uri: 'https://rp.example/bcl',
  logoutToken: 'a.b.c',
  jti: 'j1',
  expiresAt: T0 / 1000 + 120,
};

type Answer = number | Error | 'hang';

/**
 * The outbound port answering from a script (statuses, or the guard's typed failures) and
 * recording each call; delays are recorded, never waited. The guard itself is tested over real
 * sockets in src/outbound/guarded-fetch.test.ts and with this delivery in test/flows/oidc-logout.
 */
function harness(answers: Answer[], opts: Partial<BackchannelDeliveryOptions> = {}) {
  const events = recordEvents();
  const clock = settableClock();
  const calls: { url: string; init: OutboundRequest }[] = [];
  const delays: number[] = [];
  const http: OutboundHttp = {
    async fetch(url, init) {
      calls.push({ url, init });
      const a = answers.shift() ?? 200;
      if (a === 'hang') {
        return new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
      }
      if (a instanceof Error) throw a;
      return { status: a, headers: {}, body: new Uint8Array() };
    },
  };
  const delivery = createBackchannelDelivery(
    { events, clock, http },
    {
      timeoutMs: 5000,
      retries: 3,
      delay: async (ms) => {
        delays.push(ms);
      },
      ...opts,
    },
  );
  return { events, clock, calls, delays, delivery };
}

const timeoutError = () => new OutboundError('timeout');

describe('Back-Channel Logout 1.0 §2.5 delivery', () => {
  test('POSTs logout_token as form data; the caller does not wait', async () => {
    const h = harness([200]);
    h.delivery.notify(message);
    assert.equal(h.calls.length, 0, 'nothing sent before notify returned');
    assert.equal(h.delivery.pending, 1);
    await h.delivery.idle();
    assert.equal(h.calls.length, 1);
    const { url, init } = h.calls[0]!;
    assert.equal(url, 'https://rp.example/bcl');
    assert.equal(init.method, 'POST');
    assert.deepEqual(init.headers, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(init.body, 'logout_token=a.b.c');
    // The purpose selects the byte limit (outbound.maxLogoutResponseBytes).
    assert.equal(init.purpose, 'backchannel_logout');
    assert.deepEqual(h.events.of('backchannel_logout.delivered'), [{ tenantId: 'default', clientId: 'rp1', jti: 'j1', attempts: 1, status: 200 }]);
  });

  test('§2.8: a 204 No Content counts as success', async () => {
    const h = harness([204]);
    h.delivery.notify(message);
    await h.delivery.idle();
    assert.equal(h.events.of('backchannel_logout.delivered')[0]?.status, 204);
  });

  test('5xx, 429, timeouts and network errors are retried with exponential back-off', async () => {
    const h = harness([503, 429, timeoutError(), new OutboundError('network', 'ECONNREFUSED'), 200], { retries: 4 });
    h.delivery.notify(message);
    await h.delivery.idle();
    assert.equal(h.calls.length, 5);
    assert.deepEqual(h.delays, [1000, 2000, 4000, 8000]);
    assert.equal(h.events.of('backchannel_logout.delivered')[0]?.attempts, 5);
  });

  test('gives up after the configured retries', async () => {
    const h = harness([500, 500, 500, 500, 500], { retries: 3 });
    h.delivery.notify(message);
    await h.delivery.idle();
    assert.equal(h.calls.length, 4);
    assert.deepEqual(h.events.of('backchannel_logout.failed'), [{ tenantId: 'default', clientId: 'rp1', jti: 'j1', attempts: 4, reason: 'http_500' }]);
    assert.equal(h.delivery.pending, 0);
  });

  test('a 400 (token refused) is not retried', async () => {
    const h = harness([400]);
    h.delivery.notify(message);
    await h.delivery.idle();
    assert.equal(h.calls.length, 1);
    assert.equal(h.events.of('backchannel_logout.failed')[0]?.reason, 'http_400');
  });

  test('S19 a refused destination, a redirect, http in production or an oversized answer is final: not retried, reason kept', async () => {
    for (const reason of ['refused_address', 'redirect', 'not_https', 'too_large', 'invalid_url'] as const) {
      const h = harness([new OutboundError(reason), 200]);
      h.delivery.notify(message);
      await h.delivery.idle();
      assert.equal(h.calls.length, 1, reason);
      assert.deepEqual(h.events.of('backchannel_logout.failed'), [{ tenantId: 'default', clientId: 'rp1', jti: 'j1', attempts: 1, reason }]);
    }
  });

  test('each attempt carries a timeout signal', async () => {
    const h = harness([timeoutError(), timeoutError()], { retries: 1 });
    h.delivery.notify(message);
    await h.delivery.idle();
    assert.ok(h.calls.every((c) => c.init.signal instanceof AbortSignal));
    assert.deepEqual(
      h.events.of('backchannel_logout.failed').map((e) => [e.reason, e.attempts]),
      [['timeout', 2]],
    );
  });

  test('no attempt once the Logout Token has expired', async () => {
    const h = harness([200]);
    h.clock.set((message.expiresAt + 1) * 1000);
    h.delivery.notify(message);
    await h.delivery.idle();
    assert.equal(h.calls.length, 0);
    assert.equal(h.events.of('backchannel_logout.failed')[0]?.reason, 'expired');
  });

  test('the back-off stops at the token expiry', async () => {
    const events = recordEvents();
    const clock = settableClock();
    const http: OutboundHttp = { fetch: async () => ({ status: 500, headers: {}, body: new Uint8Array() }) };
    const d = createBackchannelDelivery(
      { events, clock, http },
      {
        timeoutMs: 5000,
        retries: 5,
        // The clock passes exp during the first back-off.
        delay: async () => {
          clock.set((message.expiresAt + 1) * 1000);
        },
      },
    );
    d.notify(message);
    await d.idle();
    assert.deepEqual(events.of('backchannel_logout.failed'), [{ tenantId: 'default', clientId: 'rp1', jti: 'j1', attempts: 1, reason: 'http_500' }]);
  });

  test('close aborts a hanging attempt: the delivery fails as shutdown', async () => {
    const h = harness(['hang'], { timeoutMs: 60_000 });
    h.delivery.notify(message);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    await h.delivery.close();
    assert.deepEqual(
      h.events.of('backchannel_logout.failed').map((e) => e.reason),
      ['shutdown'],
    );
    h.delivery.notify({ ...message, jti: 'late' });
    assert.deepEqual(
      h.events.of('backchannel_logout.failed').map((e) => e.reason),
      ['shutdown', 'shutdown'],
    );
  });

  test('beyond maxPending a message fails at once as overloaded', async () => {
    const h = harness([200, 200], { maxPending: 1 });
    h.delivery.notify(message);
    h.delivery.notify({ ...message, jti: 'j2' });
    assert.deepEqual(h.events.of('backchannel_logout.failed'), [{ tenantId: 'default', clientId: 'rp1', jti: 'j2', attempts: 0, reason: 'overloaded' }]);
    await h.delivery.idle();
    assert.equal(h.events.of('backchannel_logout.delivered').length, 1);
  });
});
