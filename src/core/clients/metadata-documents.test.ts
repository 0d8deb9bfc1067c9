import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutboundError, type OutboundRequest } from '../ports/outbound-http.ts';
import { checkClientIdUrl, hostTrusted, MetadataDocumentError } from './client-id-url.ts';
import { clientFromDocument, metadataDocumentHost, type MetadataDocumentPolicy } from './metadata-document-client.ts';
import { createMetadataDocuments, type MetadataDocumentsConfig } from './metadata-documents.ts';

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
  refused('https://app.example./a', /host ends with a dot/);
  refused(`https://app.example/${'a'.repeat(255)}`, /longer than 255/);
});

test('CIMD §3 an "@" in the path is no userinfo (RFC 3986 §3.3 allows it there); a username or password in the authority is refused', () => {
  const url = checkClientIdUrl('https://app.example/@alice/client.json');
  assert.equal(url.hostname, 'app.example');
  assert.equal(url.href, 'https://app.example/@alice/client.json');
  assert.equal(checkClientIdUrl('https://app.example/a@b').pathname, '/a@b');
  refused('https://user@app.example/client.json', /username or password/);
  refused('https://:pw@app.example/client.json', /username or password/);
  refused('https://@app.example/client.json', /username or password/);
  refused('https://user@app.example/@alice/client.json', /username or password/);
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

test('host policy: a final dot changes nothing (evil.example. is evil.example to DNS and TLS), in the host or in a list entry; IPv6 with or without brackets', () => {
  const deny = { trust: 'any-with-consent', allowHosts: [], denyHosts: ['evil.example', '*.bad.example', 'worse.example.', '2001:db8::1'] } as const;
  for (const h of ['evil.example.', 'EVIL.example.', 'a.bad.example.', 'worse.example', 'worse.example.', '[2001:db8::1]', '2001:db8::1'])
    assert.equal(hostTrusted(h, deny), false, h);
  assert.equal(hostTrusted('bad.example.', deny), true, 'the bare name is not its own subdomain');
  const allow = { trust: 'allow-list', allowHosts: ['apps.example.', '*.agents.example.'], denyHosts: [] } as const;
  for (const h of ['apps.example', 'apps.example.', 'one.agents.example', 'one.agents.example.']) assert.equal(hostTrusted(h, allow), true, h);
  assert.equal(hostTrusted('agents.example.', allow), false);
});

test('CIMD §3 a client_id whose host ends with a dot is refused before any fetch, so denyHosts cannot be passed by https://evil.example./…', async () => {
  const fetches: string[] = [];
  const refusals: string[] = [];
  const http = {
    async fetch(u: string) {
      fetches.push(u);
      const body = new TextEncoder().encode(JSON.stringify({ client_id: u, redirect_uris: ['http://127.0.0.1/cb'] }));
      return { status: 200, headers: { 'content-type': 'application/json' }, body };
    },
  };
  const docs = createMetadataDocuments(
    { http, clock: { now: () => 0 }, onRefused: (_id, e) => refusals.push(e.message) },
    cimdConfig({ denyHosts: ['evil.example'] }),
  );
  assert.equal(await docs.resolve('t', 'https://evil.example/client'), undefined);
  assert.equal(await docs.resolve('t', 'https://evil.example./client'), undefined);
  assert.deepEqual(fetches, [], 'nothing was fetched');
  assert.match(refusals[0]!, /host_not_trusted/);
  assert.match(refusals[1]!, /invalid_url: host ends with a dot/);
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

test('CIMD §4.1 a document nested thousands of levels deep (in a jwks key) is refused as invalid_metadata, never thrown as a RangeError', async () => {
  const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`) as unknown;
  assert.equal(
    reason(doc({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: deep, y: 'y' }] } })),
    'invalid_metadata',
  );
  const refusals: string[] = [];
  const body = `{"client_id":"${url.href}","redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[{"kty":"EC","x":${'['.repeat(6000)}${']'.repeat(6000)}}]}}`;
  const http = { fetch: async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode(body) }) };
  const docs = createMetadataDocuments({ http, clock: { now: () => 0 }, onRefused: (_id, e) => refusals.push(e.message) }, cimdConfig());
  assert.equal(await docs.resolve('t', url.href), undefined);
  assert.deepEqual(refusals, ['invalid_metadata: the document nests deeper than 32 levels']);
});

const cimdConfig = (o: Partial<MetadataDocumentsConfig['clientIdMetadataDocuments']> = {}): MetadataDocumentsConfig => ({
  ...policy,
  clientIdMetadataDocuments: {
    ...policy.clientIdMetadataDocuments,
    enabled: true,
    trust: 'any-with-consent',
    allowHosts: [],
    denyHosts: [],
    cacheMaxEntries: 100,
    cacheMaxTtl: 3600,
    cacheDefaultTtl: 300,
    ...o,
  },
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
  const docs = createMetadataDocuments({ http, clock: { now: () => now } }, cimdConfig({ cacheMaxEntries: 2 }));
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

/** A scripted origin: answers each request with the next response, and records the request headers. */
function origin(u: string) {
  const requests: Record<string, string>[] = [];
  const answers: (Record<string, string> & { status?: string; name?: string })[] = [];
  const http = {
    async fetch(_u: string, req: OutboundRequest) {
      requests.push({ ...req.headers });
      const { status = '200', name = 'App', ...headers } = answers.shift() ?? assert.fail('unexpected request');
      if (status === 'network') throw new OutboundError('network', 'ECONNRESET');
      const body =
        status === '200'
          ? new TextEncoder().encode(JSON.stringify({ client_id: u, client_name: name, redirect_uris: [`${new URL(u).origin}/cb`] }))
          : new Uint8Array();
      return { status: Number(status), headers: { 'content-type': 'application/json', ...headers }, body };
    },
  };
  return { http, requests, answers };
}

test('RFC 9111 §4.3 a stale or no-cache document is revalidated with its validators: a 304 reuses it with the freshness the 304 gives, a 200 replaces it', async () => {
  const u = 'https://app.example/client.json';
  const o = origin(u);
  let now = 1_000_000;
  const refused: string[] = [];
  const docs = createMetadataDocuments({ http: o.http, clock: { now: () => now }, onRefused: (_id, e) => refused.push(e.reason) }, cimdConfig());
  o.answers.push({ 'cache-control': 'no-cache', etag: '"v1"', 'last-modified': 'Thu, 15 Jan 2026 12:00:00 GMT' });
  assert.equal((await docs.resolve('t', u))?.clientName, 'App');
  // no-cache: every use asks the origin, conditionally.
  o.answers.push({ status: '304', etag: '"v1"' });
  assert.equal((await docs.resolve('t', u))?.clientName, 'App');
  assert.deepEqual(o.requests[1], { accept: 'application/json', 'if-none-match': '"v1"', 'if-modified-since': 'Thu, 15 Jan 2026 12:00:00 GMT' });
  // The 304 may give it freshness: then it is reused without asking, until that runs out.
  o.answers.push({ status: '304', 'cache-control': 'max-age=60' });
  await docs.resolve('t', u);
  await docs.resolve('t', u);
  assert.equal(o.requests.length, 3);
  now += 60_000;
  o.answers.push({ status: '200', name: 'App v2', etag: '"v2"', 'cache-control': 'max-age=10' });
  assert.equal((await docs.resolve('t', u))?.clientName, 'App v2', 'a 200 replaces the stored document');
  assert.equal(o.requests[3]!['if-none-match'], '"v1"');
  now += 10_000;
  o.answers.push({ status: '304', etag: '"v2"' });
  assert.equal((await docs.resolve('t', u))?.clientName, 'App v2');
  assert.equal(o.requests[4]!['if-none-match'], '"v2"');
  assert.deepEqual(refused, []);
});

test('RFC 9111 §4.3 a failed revalidation (network, 5xx, 404) refuses the client: a stale document is never used', async () => {
  const u = 'https://app.example/client.json';
  for (const failure of ['network', '503', '404']) {
    const o = origin(u);
    const refused: string[] = [];
    const docs = createMetadataDocuments({ http: o.http, clock: { now: () => 1_000_000 }, onRefused: (_id, e) => refused.push(e.message) }, cimdConfig());
    o.answers.push({ 'cache-control': 'max-age=0', etag: '"v1"' });
    assert.ok(await docs.resolve('t', u));
    o.answers.push({ status: failure });
    assert.equal(await docs.resolve('t', u), undefined, failure);
    assert.match(refused[0]!, /^fetch_failed/);
    // The entry went with the failure: the next lookup fetches the document whole.
    o.answers.push({ 'cache-control': 'max-age=0', etag: '"v1"' });
    assert.ok(await docs.resolve('t', u));
    assert.equal(o.requests[2]!['if-none-match'], undefined, failure);
  }
});

test('RFC 9111 §4.3.4 a 304 carrying another entity tag updates nothing: the document is fetched whole and validated again', async () => {
  const u = 'https://app.example/client.json';
  const o = origin(u);
  const docs = createMetadataDocuments({ http: o.http, clock: { now: () => 1_000_000 } }, cimdConfig());
  o.answers.push({ 'cache-control': 'no-cache', etag: '"v1"' }, { status: '304', etag: '"v9"' }, { name: 'Whole', 'cache-control': 'no-cache', etag: '"v9"' });
  await docs.resolve('t', u);
  assert.equal((await docs.resolve('t', u))?.clientName, 'Whole');
  assert.deepEqual(
    o.requests.map((r) => r['if-none-match']),
    [undefined, '"v1"', undefined],
  );
});

test('RFC 9111 §4.2 freshness is not raised: max-age=5 is refetched after 5 s, an Age eats into max-age, no-store and validator-less max-age=0 are fetched every time', async () => {
  const u = 'https://app.example/client.json';
  const o = origin(u);
  let now = 1_000_000;
  const docs = createMetadataDocuments({ http: o.http, clock: { now: () => now } }, cimdConfig());
  o.answers.push({ 'cache-control': 'max-age=5' });
  await docs.resolve('t', u);
  now += 4_999;
  await docs.resolve('t', u);
  assert.equal(o.requests.length, 1);
  now += 1;
  o.answers.push({ 'cache-control': 'max-age=300', age: '295' });
  await docs.resolve('t', u);
  assert.equal(o.requests.length, 2, 'refetched at 5 s');
  now += 5_000;
  o.answers.push({ 'cache-control': 'no-store' }, { 'cache-control': 'max-age=0' }, { 'cache-control': 'max-age=0' });
  await docs.resolve('t', u);
  assert.equal(o.requests.length, 3, 'max-age=300 with Age: 295 was fresh for 5 s');
  await docs.resolve('t', u);
  await docs.resolve('t', u);
  assert.equal(o.requests.length, 5);
});
