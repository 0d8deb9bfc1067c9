import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { buildConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import type { Storage } from '../../src/core/ports/storage.ts';
import { createGatehouse, type Gatehouse, type GatehouseOptions } from '../../src/compose.ts';
import { sha256 } from '../../src/core/crypto.ts';
import { AUTHORIZATION_PARAMS } from '../../src/core/authorize/authorization-params.ts';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.ts';
import { makeClient } from '../support/core-fixtures.ts';

// Operations basics over real HTTP: probes, Prometheus metrics, security headers, CORS, OpenAPI
// and Swagger UI, structured logs. Servers bind port 0 on 127.0.0.1.

const KEK = randomBytes(32).toString('base64');
const running: Gatehouse[] = [];
after(async () => {
  await Promise.all(running.map((g) => g.close()));
});

interface Started {
  readonly gh: Gatehouse;
  readonly base: string;
  readonly storage: Storage;
}

async function start(over: ConfigInput = {}, opts: GatehouseOptions = {}): Promise<Started> {
  const config = buildConfig({
    issuer: 'http://127.0.0.1',
    host: '127.0.0.1',
    port: 0,
    kek: KEK,
    keys: { algorithms: ['ES256'] },
    tokens: { accessTokenSigningAlg: 'ES256', idTokenSigningAlg: 'ES256' },
    // Tests share two busy cores: CPU contention must not shed their requests as overload.
    resilience: { shed: { maxEventLoopDelayMs: 0 } },
    ...over,
  });
  const storage = opts.storage ?? createMemoryStorage();
  const gh = await createGatehouse(config, { logger: false, notice: () => {}, ...opts, storage });
  running.push(gh);
  return { gh, base: await gh.listen(), storage };
}

/** The value of one sample line of a Prometheus exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
} as const;

function assertSecurityHeaders(res: Response, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers.get(name), value, `${what}: ${name}`);
  assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, `${what}: CSP`);
  assert.match(res.headers.get('x-request-id') ?? '', /^[\w.:-]+$/, `${what}: x-request-id`);
}

const shared = await start();

test('operations: GET /health is 200 {status:"ok"}', async () => {
  const res = await fetch(`${shared.base}/health`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
});

test('operations: GET /ready is 200 with a reachable store and loaded keys, 503 once the store is closed', async () => {
  const { base, storage } = await start();
  const ok = await fetch(`${base}/ready`);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { status: 'ready', checks: { store: 'ok', keys: 'ok', lifecycle: 'ok', breakers: 'ok', load: 'ok' } });
  await storage.close();
  const down = await fetch(`${base}/ready`);
  assert.equal(down.status, 503);
  assert.deepEqual(await down.json(), { status: 'unavailable', checks: { store: 'unreachable', keys: 'ok', lifecycle: 'ok', breakers: 'ok', load: 'ok' } });
  assert.equal((await fetch(`${base}/health`)).status, 200, 'liveness does not depend on the store');
});

test('operations: GET /ready is 503 while the server drains for shutdown', async () => {
  const { gh, base } = await start();
  gh.ctx.lifecycle.draining = true;
  const res = await fetch(`${base}/ready`);
  assert.equal(res.status, 503);
  assert.equal(((await res.json()) as { checks: { lifecycle: string } }).checks.lifecycle, 'draining');
});

test('operations: GET /ready times out a hung store ping instead of hanging the probe', async () => {
  const storage = { ...createMemoryStorage(), ping: () => new Promise<void>(() => {}) };
  const { base } = await start({}, { storage, readinessTimeoutMs: 50 });
  const res = await fetch(`${base}/ready`);
  assert.equal(res.status, 503);
  assert.equal(((await res.json()) as { checks: { store: string } }).checks.store, 'timeout');
});

test('Prometheus exposition: GET /metrics lists the documented metrics and times requests by route pattern', async () => {
  await fetch(`${shared.base}/health`);
  await fetch(`${shared.base}/no/such/path?x=1`);
  const res = await fetch(`${shared.base}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  for (const name of [
    'http_server_requests_duration_seconds',
    'oauth2_tokens_issued_total',
    'oauth2_tokens_revoked_total',
    'oauth2_failed_auth_total',
    'oauth2_active_tokens',
    'gatehouse_keys_published',
    'gatehouse_build_info',
    'process_cpu_user_seconds_total',
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  assert.ok((sample(text, 'http_server_requests_duration_seconds_count{method="GET",route="/health",status="200"}') ?? 0) >= 1);
  assert.ok((sample(text, 'http_server_requests_duration_seconds_count{method="GET",route="unmatched",status="404"}') ?? 0) >= 1);
  assert.doesNotMatch(text, /no\/such\/path/, 'raw URLs never become labels');
  assert.equal(sample(text, 'gatehouse_keys_published{status="active"}'), 1);
  assert.equal(sample(text, 'oauth2_active_tokens'), 0);
});

test('Prometheus exposition: OAuth counters follow the event bus', async () => {
  const { gh, base } = await start();
  gh.ctx.events.publish('token.issued', {
    tenantId: 'default',
    clientId: 'c',
    grantType: 'client_credentials',
    tokenType: 'access_token',
    format: 'jwt',
    jti: 'j',
    subject: 'c',
  });
  gh.ctx.events.publish('token.revoked', { tenantId: 'default', clientId: 'c', tokenType: 'access_token', jti: 'j', reason: 'revocation_endpoint' });
  gh.ctx.events.publish('client_auth.failed', { tenantId: 'default', clientId: 'c', method: 'client_secret_basic', reason: 'secret mismatch' });
  const text = await (await fetch(`${base}/metrics`)).text();
  assert.equal(sample(text, 'oauth2_tokens_issued_total{grant_type="client_credentials",token_type="access_token",format="jwt"}'), 1);
  assert.equal(sample(text, 'oauth2_tokens_revoked_total{token_type="access_token",reason="revocation_endpoint"}'), 1);
  assert.equal(sample(text, 'oauth2_failed_auth_total{method="client_secret_basic",reason="invalid_secret"}'), 1);
});

test('Prometheus exposition: a real client_credentials flow moves the OAuth counters and the active-token gauge', async () => {
  const { base, storage } = await start({ tokens: { accessTokenFormat: 'opaque', accessTokenSigningAlg: 'ES256', idTokenSigningAlg: 'ES256' } });
  const secret = 'ops-test-secret-0123456789abcdefghijklmnop';
  await storage.clients.create(makeClient({ clientId: 'ops', secretHash: sha256(secret), createdAt: Math.floor(Date.now() / 1000) }));
  const basic = (s: string) => `Basic ${Buffer.from(`ops:${s}`).toString('base64')}`;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const ok = await fetch(`${base}/token`, { method: 'POST', headers: { ...form, authorization: basic(secret) }, body: 'grant_type=client_credentials' });
  assert.equal(ok.status, 200, await ok.clone().text());
  const { access_token: token } = (await ok.json()) as { access_token: string };
  const bad = await fetch(`${base}/token`, { method: 'POST', headers: { ...form, authorization: basic('wrong') }, body: 'grant_type=client_credentials' });
  assert.equal(bad.status, 401);
  assertSecurityHeaders(bad, '401 from the token endpoint');
  const text = await (await fetch(`${base}/metrics`)).text();
  assert.equal(sample(text, 'oauth2_tokens_issued_total{grant_type="client_credentials",token_type="access_token",format="opaque"}'), 1);
  assert.equal(sample(text, 'oauth2_failed_auth_total{method="client_secret_basic",reason="invalid_secret"}'), 1);
  assert.equal(sample(text, 'oauth2_active_tokens'), 1);
  assert.equal(sample(text, 'http_server_requests_duration_seconds_count{method="POST",route="/token",status="200"}'), 1);
  assert.equal(sample(text, 'http_server_requests_duration_seconds_count{method="POST",route="/token",status="401"}'), 1);
  assert.equal(sample(text, 'oauth2_tokens_issued_by_client_total{client_id="ops",grant_type="client_credentials"}'), 1);
  assert.ok((sample(text, 'gatehouse_store_call_duration_seconds_count{operation="clients.get"}') ?? 0) >= 2, 'store calls are timed by operation');
  assert.equal(sample(text, 'gatehouse_store_call_errors_total{operation="clients.get"}'), undefined);
  const revoked = await fetch(`${base}/revoke`, { method: 'POST', headers: { ...form, authorization: basic(secret) }, body: `token=${token}` });
  assert.equal(revoked.status, 200);
  const after = await (await fetch(`${base}/metrics`)).text();
  assert.equal(sample(after, 'oauth2_tokens_revoked_total{token_type="access_token",reason="revocation_endpoint"}'), 1);
});

test('operations: metrics.enabled=false removes /metrics', async () => {
  const { base } = await start({ metrics: { enabled: false } });
  assert.equal((await fetch(`${base}/metrics`)).status, 404);
});

test('operations: security headers are on a 200, a 404 and a malformed request', async () => {
  const { base } = await start();
  assertSecurityHeaders(await fetch(`${base}/health`), '200');
  assertSecurityHeaders(await fetch(`${base}/nope`), '404');
  const bad = await fetch(`${base}/%zz`);
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { error: 'invalid_request', error_description: 'malformed request' });
  assertSecurityHeaders(bad, '400');
  assert.equal((await fetch(`${base}/health`)).headers.get('strict-transport-security'), null);
});

test('operations: a 500 carries the security headers and no stack', async () => {
  // A route that fails, added to a fresh app before it starts (not part of the product).
  const config = buildConfig({
    issuer: 'http://127.0.0.1',
    host: '127.0.0.1',
    port: 0,
    kek: KEK,
    keys: { algorithms: ['ES256'] },
    tokens: { accessTokenSigningAlg: 'ES256', idTokenSigningAlg: 'ES256' },
    resilience: { shed: { maxEventLoopDelayMs: 0 } },
  });
  const gh = await createGatehouse(config, { storage: createMemoryStorage(), logger: false, notice: () => {} });
  running.push(gh);
  gh.app.get('/__fail', { schema: { hide: true } }, async () => {
    throw new Error('boom at /secret/path');
  });
  const base = await gh.listen();
  const res = await fetch(`${base}/__fail`);
  assert.equal(res.status, 500);
  assertSecurityHeaders(res, '500');
  assert.doesNotMatch(await res.text(), /boom|secret|at /);
});

test('RFC 6797 §7.2 HSTS is sent only when the issuer is https', async () => {
  const https = await start({ issuer: 'https://as.example' });
  for (const path of ['/health', '/nope', '/%zz']) {
    assert.equal((await fetch(`${https.base}${path}`)).headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains', path);
  }
  assert.equal((await fetch(`${shared.base}/health`)).headers.get('strict-transport-security'), null);
});

const preflight = (base: string, path: string, origin: string) =>
  fetch(`${base}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });

test('Fetch §3.2 CORS is closed when no origins are configured', async () => {
  const res = await preflight(shared.base, '/token', 'https://spa.example');
  assert.equal(res.headers.get('access-control-allow-origin'), null);
  assert.notEqual(res.status, 204);
  const get = await fetch(`${shared.base}/health`, { headers: { origin: 'https://spa.example' } });
  assert.equal(get.headers.get('access-control-allow-origin'), null);
});

test('Fetch §3.2 CORS allows exactly a configured origin on public endpoints, without credentials', async () => {
  const { base } = await start({ cors: { origins: ['https://spa.example'] } });
  const ok = await preflight(base, '/token', 'https://spa.example');
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('access-control-allow-origin'), 'https://spa.example');
  assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
  assert.match(ok.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  assert.equal(ok.headers.get('access-control-allow-credentials'), null);
  assertSecurityHeaders(ok, 'preflight');
  const wk = await preflight(base, '/.well-known/openid-configuration', 'https://spa.example');
  assert.equal(wk.headers.get('access-control-allow-origin'), 'https://spa.example');

  for (const [path, origin] of [
    ['/token', 'https://evil.example'],
    ['/token', 'https://spa.example.evil.example'],
    ['/admin/api/v1/keys', 'https://spa.example'],
    ['/metrics', 'https://spa.example'],
  ] as const) {
    const res = await preflight(base, path, origin);
    assert.equal(res.headers.get('access-control-allow-origin'), null, `${path} from ${origin}`);
    assert.notEqual(res.status, 204, `${path} from ${origin}`);
  }
  const health = await fetch(`${base}/health`, { headers: { origin: 'https://spa.example' } });
  assert.equal(health.headers.get('access-control-allow-origin'), null, 'non-public endpoints never get CORS headers');
});

test('Fetch §3.2 a wildcard in cors.origins does not open CORS to every origin: the server refuses to start with it', async () => {
  // The CORS plugin never treats `*` as "any origin" (src/http/plugins/cors.test.ts); config
  // loading refuses it outright, naming the form to write instead.
  await assert.rejects(
    start({ cors: { origins: ['*'] } }),
    (e: unknown) => (e as { code?: string }).code === 'GH_CONFIG_INVALID' && /cors\.origins\.0: "\*" is not allowed/.test((e as Error).message),
  );
});

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, { description?: string; content?: unknown }> }>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme: string }> };
}

/** `METHOD path` of every route in `app.printRoutes()` (a tree: children extend their parent's path). */
function printedRoutes(tree: string): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    stack.length = m[1]!.length / 4;
    const path = stack.join('') + m[2]!;
    stack.push(m[2]!);
    for (const method of m[3]?.split(', ') ?? []) out.push({ method, path });
  }
  return out;
}

test('OpenAPI 3 document at /openapi.json covers every JSON route with its schema', async () => {
  // Every optional surface switched on, so its routes are checked too.
  const full = await start({ registration: { enabled: true } });
  const res = await fetch(`${full.base}/openapi.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const doc = (await res.json()) as OpenApiDoc;
  assert.match(doc.openapi, /^3\.\d+\.\d+$/);
  assert.deepEqual(doc.components?.securitySchemes?.['clientSecretBasic'], {
    type: 'http',
    scheme: 'basic',
    description: doc.components?.securitySchemes?.['clientSecretBasic']?.['description' as 'type'],
  });
  assert.equal(doc.components?.securitySchemes?.['bearerAuth']?.scheme, 'bearer');
  assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/docs')), 'Swagger UI internals are hidden');

  const routes = printedRoutes(full.gh.app.printRoutes({ commonPrefix: false })).filter(
    (r) => r.method !== 'HEAD' && r.method !== 'OPTIONS' && !r.path.startsWith('/docs'),
  );
  assert.ok(routes.length >= 4, `found routes: ${JSON.stringify(routes)}`);
  for (const { method, path } of routes) {
    const op = doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
    // Static page assets (stylesheet, scripts, logo) are files, not API operations.
    if (!op && (path.startsWith('/assets/') || path.startsWith('/admin/assets/'))) continue;
    if (!op) {
      // Two more kinds of route may stay out of the document: HTML pages for people (sign-in,
      // consent, device, logout — not a JSON API), and a method guard (405 + Allow) beside a
      // documented operation on the same path.
      const res = await fetch(`${full.base}${path}`, { method, redirect: 'manual' });
      if (/^text\/html/.test(res.headers.get('content-type') ?? '') || (res.status >= 300 && res.status < 400)) continue;
      assert.equal(res.status, 405, `${method} ${path} is missing from /openapi.json`);
      assert.ok(res.headers.get('allow') && doc.paths[path], `${method} ${path} is a method guard of a documented path`);
      continue;
    }
    const responses = Object.values(op.responses ?? {});
    assert.ok(
      responses.some((r) => r.description !== 'Default Response' || r.content !== undefined),
      `${method} ${path} declares no response schema`,
    );
  }
  for (const p of ['/health', '/ready', '/metrics', '/openapi.json']) assert.ok(doc.paths[p]?.['get'], p);
});

test('operations: Swagger UI at /docs is served from our own assets under a strict CSP', async () => {
  const res = await fetch(`${shared.base}/docs`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  const html = await res.text();
  assert.doesNotMatch(html, /(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i, 'no external URLs');
  assert.doesNotMatch(html, /<script>|<script [^>]*>[^<\s]|<style/i, 'no inline script or style');
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(assets.length >= 4);
  for (const asset of assets) {
    const a = await fetch(new URL(asset, `${shared.base}/docs`));
    assert.equal(a.status, 200, asset);
    assert.equal(a.headers.get('content-security-policy'), csp, `${asset} carries the docs CSP`);
    if (asset.endsWith('swagger-initializer.js')) {
      const code = (await a.text()).replace(/^\s*\/\/.*$/gm, ''); // comments may cite a URL; code may not
      assert.doesNotMatch(code, /https?:\/\//, 'the initializer loads nothing external');
    }
  }
});

test('operations: every request log line carries the request id and no credentials', async () => {
  const lines: string[] = [];
  const { base } = await start(
    { log: { level: 'info' } },
    {
      logger: {
        stream: {
          write: (l: string) => {
            lines.push(l);
          },
        },
      },
    },
  );
  const secret = 'S3cr3t-should-not-appear';
  const responses = [
    await fetch(`${base}/health?client_secret=${secret}`, {
      headers: { 'x-request-id': 'req-ops-1', authorization: `Basic ${Buffer.from(`app:${secret}`).toString('base64')}` },
    }),
    await fetch(`${base}/nope`, { headers: { 'x-request-id': 'req-ops-2' } }),
    await fetch(`${base}/%zz`, { headers: { 'x-request-id': 'req-ops-3' } }),
  ];
  responses.forEach((res, i) => assert.equal(res.headers.get('x-request-id'), `req-ops-${i + 1}`, 'the response names the request id the logs carry'));
  const records = lines.map((l) => JSON.parse(l) as { reqId?: string; msg?: string; req?: { url?: string } });
  // Background lines (listening, the periodic audit chain head) carry no request id.
  const perRequest = records.filter((r) => !/^(Server listening|audit chain head)/.test(r.msg ?? ''));
  assert.ok(perRequest.length >= 5, `expected request logs, got ${lines.join('')}`);
  for (const r of perRequest) assert.match(r.reqId ?? '', /^req-ops-[123]$/, JSON.stringify(r));
  for (const id of ['req-ops-1', 'req-ops-2', 'req-ops-3'])
    assert.ok(
      perRequest.some((r) => r.reqId === id),
      id,
    );
  const all = lines.join('');
  assert.doesNotMatch(all, new RegExp(secret));
  assert.doesNotMatch(all, new RegExp(Buffer.from(`app:${secret}`).toString('base64')));
  assert.ok(records.some((r) => r.req?.url === '/health?client_secret=[redacted]'));
});

test('operations: log.format pretty writes one readable line per request (#14 item 6), JSON stays the default off a terminal', async () => {
  const lines: string[] = [];
  const { base } = await start({ log: { level: 'info', format: 'pretty' } }, { logger: { stream: { write: (l: string) => lines.push(l) } } });
  await fetch(`${base}/health`, { headers: { 'x-request-id': 'pretty-1' } });
  await fetch(`${base}/nope`, { headers: { 'x-request-id': 'pretty-2' } });
  const perRequest = (id: string) => lines.filter((l) => l.includes(`reqId=${id}`));
  assert.equal(perRequest('pretty-1').length, 1, lines.join(''));
  assert.match(perRequest('pretty-1')[0]!, /^\d\d:\d\d:\d\d\.\d{3} INFO  GET \/health 200 \d+\.\d ms reqId=pretty-1\n$/);
  assert.equal(perRequest('pretty-2').length, 1, 'a 404 is one line too');
  assert.match(perRequest('pretty-2')[0]!, / GET \/nope 404 /);
  assert.ok(
    lines.every((l) => !l.startsWith('{')),
    'no JSON',
  );
});

test('OpenAPI and RFC 8414 tell the truth about the token endpoint: every served grant is in grant_types_supported and each parameter it reads is documented', async () => {
  const idpJwk = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' };
  const every = await start({
    trustedIssuers: [
      { issuer: 'https://idp.example', jwks: { keys: [idpJwk] }, uses: ['jwt-bearer', 'id-jag', 'token-exchange'], subjects: ['*'], clients: '*' },
    ],
    idJag: { audiences: [{ issuer: 'https://chat.example', clients: ['wiki'] }] },
    transactionTokens: { trustDomain: 'https://trust.example', workloads: ['gateway'] },
  });
  const properties = await bodyProperties(every.base, '/token');
  const served = [...every.gh.services.tokenEndpoint.grants.values()];
  assert.ok(served.length >= 6, `served grants: ${served.map((g) => g.type).join(' ')}`);
  const metadata = (await (await fetch(`${every.base}/.well-known/oauth-authorization-server`)).json()) as {
    grant_types_supported: string[];
    response_types_supported: string[];
  };
  // Discovery lists what the token endpoint serves, plus `implicit` exactly when the
  // authorization endpoint issues tokens itself (OIDC hybrid / id_token response types).
  const frontChannel = metadata.response_types_supported.some((t) => t.split(' ').some((part) => part === 'id_token' || part === 'token'));
  assert.deepEqual([...metadata.grant_types_supported].sort(), [...served.map((g) => g.type), ...(frontChannel ? ['implicit'] : [])].sort());
  assert.deepEqual(
    properties['grant_type']?.examples,
    served.map((g) => g.type),
    'grant_type lists exactly the served grants',
  );
  for (const grant of served) {
    for (const p of [...grant.params, ...(grant.repeatable ?? [])])
      assert.ok(properties[p]?.description, `${grant.type}: parameter ${p} is documented (with a description) in /openapi.json`);
  }
});

/** The documented body properties of `POST path` in a server's /openapi.json. */
async function bodyProperties(base: string, path: string): Promise<Record<string, { examples?: string[]; description?: string }>> {
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
    paths: Record<
      string,
      { post?: { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, { examples?: string[]; description?: string }> } }> } } }
    >;
  };
  const content = doc.paths[path]?.post?.requestBody?.content ?? {};
  return Object.values(content)[0]?.schema?.properties ?? {};
}

test('S17 OpenAPI lists only the grants a server serves: without trusted issuers no JWT bearer grant_type nor `assertion`; without transaction tokens no `request_context`', async () => {
  const served = [...shared.gh.services.tokenEndpoint.grants.values()];
  const types = served.map((g) => g.type);
  assert.ok(!types.includes('urn:ietf:params:oauth:grant-type:jwt-bearer'), `the default server serves ${types.join(' ')}`);
  const properties = await bodyProperties(shared.base, '/token');
  assert.deepEqual(properties['grant_type']?.examples, types);
  const read = new Set([
    ...served.flatMap((g) => [...g.params, ...(g.repeatable ?? [])]),
    'grant_type',
    'resource',
    'client_id',
    'client_secret',
    'client_assertion',
    'client_assertion_type',
  ]);
  assert.deepEqual(
    Object.keys(properties).filter((p) => !read.has(p)),
    [],
    'no parameter of a grant that is not served',
  );
  assert.equal(properties['assertion'], undefined);
  assert.equal(properties['request_context'], undefined);
});

test('OpenAPI: PAR documents every authorization parameter it accepts (those /authorize reads, and request); client_id at /token and PAR may be a metadata document URL', async () => {
  const par = await bodyProperties(shared.base, '/par');
  for (const p of [...AUTHORIZATION_PARAMS, 'request']) assert.ok(par[p]?.description, `PAR parameter ${p} is documented with a description`);
  assert.equal(par['request_uri'], undefined, 'RFC 9126 §2.1: request_uri is not accepted in a push');
  const token = await bodyProperties(shared.base, '/token');
  for (const props of [par, token]) {
    assert.match(
      props['client_id']?.description ?? '',
      /registered client id, or \(when Client ID Metadata Documents are enabled\) the https URL of the client's metadata document/,
    );
  }
});
