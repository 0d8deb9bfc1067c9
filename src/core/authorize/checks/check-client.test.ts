import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { webClient } from '../../../../test/support/authorize-fixtures.ts';
import { DEFAULT_TENANT } from '../../model/tenant.ts';
import type { Client } from '../../model/client.ts';
import { AuthorizationError } from '../authorization-error.ts';
import { checkClient, checkClientRecord } from './check-client.ts';

const clients = (...list: Client[]) => ({ get: async (_t: string, id: string) => list.find((c) => c.clientId === id) });
const store = clients(
  webClient(),
  webClient({ clientId: 'off', disabled: true }),
  webClient({ clientId: 'm2m', grantTypes: ['client_credentials'], responseTypes: [] }),
);

async function page(params: Record<string, string>, code: string): Promise<void> {
  await assert.rejects(checkClient(store, DEFAULT_TENANT, params), (e: unknown) => {
    assert.ok(e instanceof AuthorizationError);
    assert.equal(e.redirect, null, 'RFC 6749 §4.1.2.1: never redirected');
    assert.equal(e.error.code, code);
    return true;
  });
}

describe('RFC 6749 §4.1.2.1 client_id at the authorization endpoint', () => {
  test('RFC 6749 §4.1.1 a known, enabled client passes', async () => {
    assert.equal((await checkClient(store, DEFAULT_TENANT, { client_id: 'web' })).clientId, 'web');
  });
  test('RFC 6749 §4.1.2.1 a missing client_id is an error page', () => page({}, 'invalid_request'));
  test('RFC 6749 §4.1.2.1 an unknown client_id is an error page', () => page({ client_id: 'nobody' }, 'invalid_request'));
  test('RFC 6749 §4.1.2.1 a disabled client reads like an unknown one', async () => {
    await page({ client_id: 'off' }, 'invalid_request');
    await assert.rejects(checkClient(store, DEFAULT_TENANT, { client_id: 'off' }), (e: AuthorizationError) => e.error.description === 'unknown client');
  });
  test('RFC 6749 §4.1.2.1 a client without a redirect-based grant is unauthorized_client on the page', () => page({ client_id: 'm2m' }, 'unauthorized_client'));
  test('an absurdly long client_id is not looked up', () => page({ client_id: 'x'.repeat(10_000) }, 'invalid_request'));
  test('RFC 9126 §2.1 a client already authenticated (PAR) is held to the same rules without a store read', () => {
    assert.equal(checkClientRecord(webClient(), 'web').clientId, 'web');
    for (const c of [webClient({ disabled: true }), webClient({ clientId: 'm2m', grantTypes: ['client_credentials'], responseTypes: [] })]) {
      assert.throws(
        () => checkClientRecord(c, c.clientId),
        (e: unknown) => e instanceof AuthorizationError && e.redirect === null,
      );
    }
  });
});
