import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkClientIdUrl, hostTrusted, MetadataDocumentError } from './client-id-url.ts';
import { clientFromDocument, metadataDocumentHost, type MetadataDocumentPolicy } from './metadata-document-client.ts';
import { cacheSeconds, createMetadataDocuments } from './metadata-documents.ts';

const refused = (id: string, why: RegExp) =>
  assert.throws(
    () => checkClientIdUrl(id),
    (e: unknown) => e instanceof MetadataDocumentError && e.reason === 'invalid_url' && why.test(e.message),
    id,
  );

test('CIMD §3 client identifier URLs: https, a path, no fragment, credentials, dot segments or query; compared as written', () => {
  assert.equal(checkClientIdUrl('https://app.example/client.json').host, 'app.example');
  assert.equal(checkClientIdUrl('https://app.example:8443/a/b').port, '8443');
  refused('http://app.example/client.json', /not an https URL/);
  refused('HTTPS://app.example/client.json', /not an https URL/);
  refused('https://app.example', /no path/);
  refused('https://app.example/', /no path/);
  refused('https://app.example/a#frag', /fragment/);
  refused('https://user:pw@app.example/a', /username or password/);
  refused('https://app.example/a/../b', /dot path segment/);
  refused('https://app.example/./b', /dot path segment/);
  refused('https://app.example/a/%2e%2e/b', /dot path segment/);
  refused('https://app.example/a?x=1', /query/);
  refused('https://APP.example/a', /normal form/);
  refused('https://app.example:443/a', /normal form/);
  refused(`https://app.example/${'a'.repeat(255)}`, /longer than 255/);
});

test('host policy: denyHosts wins; allow-list takes exact names and *.suffix (not the bare name)', () => {
  const allow = { trust: 'allow-list', allowHosts: ['apps.example', '*.agents.example'], denyHosts: ['bad.agents.example'] } as const;
  assert.equal(hostTrusted('apps.example', allow), true);
  assert.equal(hostTrusted('one.agents.example', allow), true);
  assert.equal(hostTrusted('agents.example', allow), false);
  assert.equal(hostTrusted('bad.agents.example', allow), false);
  assert.equal(hostTrusted('other.example', allow), false);
  assert.equal(hostTrusted('other.example', { trust: 'any-with-consent', allowHosts: [], denyHosts: [] }), true);
  assert.equal(hostTrusted('Evil.Example', { trust: 'any-with-consent', allowHosts: [], denyHosts: ['evil.example'] }), false);
});

test('RFC 9111 §5.2.2 Cache-Control within the configured bounds', () => {
  const c = { cacheMinTtl: 60, cacheMaxTtl: 3600, cacheDefaultTtl: 300 };
  assert.equal(cacheSeconds('no-store', c), null);
  assert.equal(cacheSeconds('max-age=600, no-store', c), null);
  assert.equal(cacheSeconds('no-cache', c), 60);
  assert.equal(cacheSeconds('max-age=0', c), 60);
  assert.equal(cacheSeconds('public, max-age=600', c), 600);
  assert.equal(cacheSeconds('max-age=999999', c), 3600);
  assert.equal(cacheSeconds(undefined, c), 300);
  assert.equal(cacheSeconds('max-age=abc', c), 300);
});

const policy: MetadataDocumentPolicy = {
  env: 'production',
  keys: { algorithms: ['ES256'] },
  tokens: {},
  authorization: { implicit: false, allowUnsignedRequestObjects: false },
  clientIdMetadataDocuments: { redirectUris: 'same-host-or-loopback', allowedScopes: [] },
};
const url = new URL('https://app.example/client.json');
const doc = (extra: Record<string, unknown> = {}) => ({ client_id: url.href, redirect_uris: ['https://app.example/cb'], ...extra });
const reason = (d: unknown, p = policy) => {
  try {
    clientFromDocument('t', url, d, p, 1);
    return 'accepted';
  } catch (e) {
    if (e instanceof MetadataDocumentError) return e.reason;
    throw e;
  }
};

test('CIMD §4.1 documents: client_id equal to the URL, a public client, no secret, redirect URIs by policy, never first-party', () => {
  const c = clientFromDocument('t', url, doc({ client_name: 'App' }), policy, 1);
  assert.equal(c.clientId, url.href);
  assert.equal(c.tokenEndpointAuthMethod, 'none');
  assert.deepEqual(c.grantTypes, ['authorization_code']);
  assert.deepEqual(c.responseTypes, ['code']);
  assert.deepEqual(c.scopes, ['openid', 'profile', 'email', 'offline_access']);
  assert.equal(metadataDocumentHost(c), 'app.example');
  assert.equal(clientFromDocument('t', url, doc(), policy, 1).clientName, 'app.example', 'no client_name: the host');
  assert.equal(reason([]), 'not_json');
  assert.equal(reason(doc({ client_id: 'https://app.example/other.json' })), 'client_id_mismatch');
  assert.equal(reason(doc({ client_id: 'https://app.example/client.json/' })), 'client_id_mismatch');
  assert.equal(reason(doc({ client_secret: 'x' })), 'confidential');
  assert.equal(reason(doc({ token_endpoint_auth_method: 'client_secret_basic' })), 'confidential');
  assert.equal(reason(doc({ token_endpoint_auth_method: 'client_secret_jwt' })), 'confidential');
  assert.equal(reason(doc({ token_endpoint_auth_method: 'private_key_jwt' })), 'invalid_metadata', 'private_key_jwt without keys');
  assert.equal(reason(doc({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://app.example/jwks' })), 'accepted');
  assert.equal(reason(doc({ first_party: true })), 'invalid_metadata');
  assert.equal(reason(doc({ grant_types: ['client_credentials'] })), 'invalid_metadata');
  assert.equal(reason(doc({ response_types: ['code id_token'] })), 'invalid_metadata');
  assert.equal(reason(doc({ scope: 'admin' })), 'invalid_metadata');
  assert.equal(reason(doc({ redirect_uris: ['https://other.example/cb'] })), 'redirect_uri_not_allowed');
  assert.equal(reason(doc({ application_type: 'native', redirect_uris: ['http://127.0.0.1/cb'] })), 'accepted');
  const any = { ...policy, clientIdMetadataDocuments: { ...policy.clientIdMetadataDocuments, redirectUris: 'any' as const } };
  assert.equal(reason(doc({ redirect_uris: ['https://other.example/cb'] }), any), 'accepted');
});

test('the cache keeps at most cacheMaxEntries documents (least recently used go), expires them, and fetches a URL once for concurrent lookups', async () => {
  const fetches: string[] = [];
  let now = 1_000_000;
  const http = {
    async fetch(u: string) {
      fetches.push(u);
      await new Promise((r) => setTimeout(r, 5));
      const body = new TextEncoder().encode(JSON.stringify({ client_id: u, redirect_uris: [`${new URL(u).origin}/cb`] }));
      return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'max-age=120' }, body };
    },
  };
  const docs = createMetadataDocuments(
    { http, clock: { now: () => now } },
    {
      ...policy,
      clientIdMetadataDocuments: {
        ...policy.clientIdMetadataDocuments,
        enabled: true,
        trust: 'any-with-consent',
        allowHosts: [],
        denyHosts: [],
        cacheMaxEntries: 2,
        cacheMinTtl: 60,
        cacheMaxTtl: 3600,
        cacheDefaultTtl: 300,
      },
    },
  );
  const [a, b, c] = ['https://a.example/c', 'https://b.example/c', 'https://c.example/c'];
  const both = await Promise.all([docs.resolve('t', a), docs.resolve('t', a)]);
  assert.equal(both[0]?.clientId, a);
  assert.equal(fetches.length, 1, 'one fetch for two concurrent lookups');
  await docs.resolve('t', b);
  await docs.resolve('t', a); // a is now the most recently used
  await docs.resolve('t', c); // evicts b
  assert.deepEqual(fetches, [a, b, c]);
  await docs.resolve('t', a);
  await docs.resolve('t', b);
  assert.deepEqual(fetches, [a, b, c, b], 'b was evicted, a was kept');
  now += 121_000;
  await docs.resolve('t', a);
  assert.equal(fetches.at(-1), a, 'refetched after max-age');
});
