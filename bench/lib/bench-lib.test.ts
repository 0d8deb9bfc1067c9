// Unit tests of the benchmark's pure helpers. Not part of `npm test` (the bench is not either):
// node --import tsx --test bench/lib/bench-lib.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accessTokenOf, basicAuth, jwsHeader, looksLikeJws } from '../scenarios/http.ts';
import { parseCreatedClient } from '../servers/gatehouse.ts';
import { nextPageHref } from '../lists/console-http.ts';
import { replaceBetweenMarkers } from '../update-readme.ts';
import { niceScale, renderChart } from './chart.ts';
import { evaluateGoals, scenarioRatio, TOKEN_EXCHANGE_PCT } from './goals.ts';
import { computeRatios } from './report.ts';
import { median, summarize, type CellSummary } from './summary.ts';
import type { CellRun } from './types.ts';

const run = (over: Partial<CellRun>): CellRun => ({
  scenario: 'cc-jwt',
  target: 'gatehouse',
  round: 1,
  reqPerSec: 1000,
  latencyP50: 5,
  latencyP99: 10,
  latencyAvg: 5,
  latencyMax: 20,
  total: 10000,
  non2xx: 0,
  errors: 0,
  timeouts: 0,
  mismatches: 0,
  durationSec: 10,
  serverCpuPct: 100,
  loaderCpuPct: 60,
  loadAvg1: 2,
  problem: null,
  ...over,
});
const ok = (scenario: string, target: string, reqPerSec: number, latencyP99 = 10): CellSummary => ({
  scenario,
  target,
  status: 'ok',
  reqPerSec,
  latencyP99,
  rounds: 3,
});

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('a cell is the median of its rounds, and invalid when any round had a problem', () => {
  const good = summarize('cc-jwt', 'gatehouse', [run({ reqPerSec: 900 }), run({ reqPerSec: 1200, round: 2 }), run({ reqPerSec: 1000, round: 3 })]);
  assert.equal(good.status, 'ok');
  assert.equal(good.reqPerSec, 1000);
  const bad = summarize('cc-jwt', 'gatehouse', [run({}), run({ round: 2, non2xx: 3, problem: '3 non-2xx responses' })]);
  assert.equal(bad.status, 'invalid');
  assert.match(bad.note ?? '', /round 2: 3 non-2xx/);
  assert.equal(summarize('jwks', 'oauth2-server', [], 'no JWKS').status, 'n/a');
  assert.equal(summarize('jwks', 'gatehouse', [], undefined, 'start failed').status, 'failed');
});

test('ratios divide Gatehouse by each peer; the ceiling is the hello-world cell; invalid cells give none', () => {
  const cells = [
    ok('cc-jwt', 'gatehouse', 6000),
    ok('cc-jwt', 'oidc-provider', 1500),
    ok('hello', 'hello', 20000),
    { ...ok('cc-opaque', 'gatehouse', 3000), status: 'invalid' as const },
    ok('cc-opaque', 'oidc-provider', 1000),
  ];
  const r = computeRatios(cells, [], ['cc-jwt', 'cc-opaque', 'hello'], ['gatehouse', 'oidc-provider', 'hello']);
  assert.equal(r.find((x) => x.scenario === 'cc-jwt' && x.vs === 'oidc-provider')?.value, 4);
  assert.equal(r.find((x) => x.scenario === 'cc-jwt' && x.vs === 'hello')?.value, 0.3);
  assert.equal(r.find((x) => x.scenario === 'cc-opaque' && x.vs === 'oidc-provider')?.value, null);
});

test('goals are met, missed, or not measured', () => {
  const cells = [ok('cc-jwt', 'gatehouse', 6000, 30), ok('cc-jwt', 'oidc-provider', 1500), ok('hello', 'hello', 30000)];
  const ratios = computeRatios(cells, [], ['cc-jwt', 'hello'], ['gatehouse', 'oidc-provider', 'hello']);
  const goals = evaluateGoals(cells, ratios, [{ target: 'gatehouse', startMs: [900], idleRssMiB: [80], medianStartMs: 900, medianIdleRssMB: 84 }]);
  const by = (prefix: string) => goals.find((g) => g.name.startsWith(prefix))!;
  assert.equal(by('client_credentials JWT vs node').met, true);
  assert.equal(by('client_credentials JWT vs hello').met, false); // 20 % < 30 %
  assert.equal(by('introspection').met, null);
  assert.equal(by('Gatehouse p99').met, false);
  assert.equal(by('Gatehouse idle RSS').met, true);
  assert.equal(by('Gatehouse start').measured, 0.9);
});

test('issue #12 goal: token exchange ÷ client_credentials JWT on Gatehouse, median of per-round ratios; not measured without both cells', () => {
  const cells = [ok('cc-jwt', 'gatehouse', 8000), ok('token-exchange', 'gatehouse', 4400)];
  const runs = [
    run({ round: 1, reqPerSec: 8000 }),
    run({ round: 2, reqPerSec: 10000 }),
    run({ round: 3, reqPerSec: 6000 }),
    run({ scenario: 'token-exchange', round: 1, reqPerSec: 4400 }), // 55 %
    run({ scenario: 'token-exchange', round: 2, reqPerSec: 4000 }), // 40 %
    run({ scenario: 'token-exchange', round: 3, reqPerSec: 3600 }), // 60 %
  ];
  const tx = (c: readonly CellSummary[], r: readonly CellRun[]) => evaluateGoals(c, [], [], 2, r).find((g) => g.name.startsWith('token exchange'))!;
  const g = tx(cells, runs);
  assert.ok(Math.abs(g.measured! - 55) < 1e-9, String(g.measured));
  assert.equal(g.met, true);
  assert.equal(g.threshold, TOKEN_EXCHANGE_PCT);
  assert.equal(tx([ok('cc-jwt', 'gatehouse', 8000), ok('token-exchange', 'gatehouse', 3000)], []).met, false); // 37.5 % from the cells alone
  assert.equal(tx([ok('cc-jwt', 'gatehouse', 8000)], []).met, null);
  assert.equal(tx([ok('cc-jwt', 'gatehouse', 8000), { ...ok('token-exchange', 'gatehouse', 6000), status: 'invalid' }], runs).met, null);
  assert.equal(scenarioRatio(cells, runs, 'oidc-provider', 'token-exchange', 'cc-jwt'), null);
});

test('RFC 6749 §2.3.1 Basic credentials are form-urlencoded before base64', () => {
  const h = basicAuth({ clientId: 'a b', clientSecret: 'p:w/+', scope: 's' });
  assert.equal(Buffer.from(h.slice(6), 'base64').toString(), 'a+b:p%3Aw%2F%2B');
});

test('jwsHeader decodes a compact JWS header and rejects opaque values', () => {
  const hdr = Buffer.from('{"alg":"ES256","typ":"at+jwt"}').toString('base64url');
  assert.deepEqual(jwsHeader(`${hdr}.e30.sig`), { alg: 'ES256', typ: 'at+jwt' });
  assert.equal(jwsHeader('opaque-token'), null);
});

test('clients create --json is read in either naming', () => {
  assert.deepEqual(parseCreatedClient('{"client_id":"c1","client_secret":"s1"}'), { clientId: 'c1', clientSecret: 's1' });
  assert.deepEqual(parseCreatedClient('note\n{"client":{"clientId":"c2"},"clientSecret":"s2"}'), { clientId: 'c2', clientSecret: 's2' });
  assert.throws(() => parseCreatedClient('{"client_id":"c3"}'), /no client_id\/client_secret/);
});

test('README section is replaced only between the markers', () => {
  const doc = 'a\n<!-- bench:start -->\nold\n<!-- bench:end -->\nb\n';
  assert.equal(replaceBetweenMarkers(doc, 'new table\n'), 'a\n<!-- bench:start -->\nnew table\n<!-- bench:end -->\nb\n');
  assert.equal(replaceBetweenMarkers('no markers', 'x'), null);
});

test('chart axis uses round steps and the SVG labels values, n/a cells and the ceiling', () => {
  assert.deepEqual(niceScale(23_000), { top: 25_000, step: 5000 });
  assert.deepEqual(niceScale(980), { top: 1000, step: 200 });
  const svg = renderChart({
    title: 'T <&>',
    subtitle: 's',
    scenarios: [{ id: 'cc-jwt', title: 'client_credentials, JWT' }],
    targets: [
      { id: 'gatehouse', label: 'Gatehouse' },
      { id: 'oauth2-server', label: 'oauth2-server' },
    ],
    cells: [ok('cc-jwt', 'gatehouse', 6543), { scenario: 'cc-jwt', target: 'oauth2-server', status: 'n/a', rounds: 0 }],
    ceiling: { label: 'hello', value: 20000 },
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /T &lt;&amp;&gt;/);
  assert.match(svg, />6.5k</);
  assert.match(svg, />n\/a</);
  assert.match(svg, /ceiling: hello 20k req\/s/);
});

test('per-response token checks tell a JWS from an opaque token that happens to start with eyJ', () => {
  assert.equal(accessTokenOf('{"token_type":"Bearer","access_token":"abc.def.ghi","expires_in":1}'), 'abc.def.ghi');
  assert.equal(accessTokenOf('{"error":"invalid_client"}'), null);
  assert.equal(looksLikeJws('eyJhbGciOi.eyJzdWIi.c2ln'), true);
  assert.equal(looksLikeJws('eyJxNk3kL_pQr8sT0uVwXyZ012345'), false);
  assert.equal(looksLikeJws('a.b'), false);
  assert.equal(looksLikeJws('a.b.c.d'), false);
  assert.equal(looksLikeJws('a..c'), false);
});

test('ratios pair the cells of each round and take the median, so drift between rounds cancels', () => {
  const runs = [
    run({ round: 1, reqPerSec: 4000 }),
    run({ round: 1, target: 'oidc-provider', reqPerSec: 2000 }),
    run({ round: 2, reqPerSec: 2000 }),
    run({ round: 2, target: 'oidc-provider', reqPerSec: 1000 }),
    run({ round: 3, reqPerSec: 3000 }),
    run({ round: 3, target: 'oidc-provider', reqPerSec: 1000 }),
  ];
  const cells = [
    summarize(
      'cc-jwt',
      'gatehouse',
      runs.filter((x) => x.target === 'gatehouse'),
    ),
    summarize(
      'cc-jwt',
      'oidc-provider',
      runs.filter((x) => x.target === 'oidc-provider'),
    ),
  ];
  // Ratio of medians would be 3000 / 1000 = 3; the paired rounds say 2, 2, 3.
  assert.equal(computeRatios(cells, runs, ['cc-jwt'], ['gatehouse', 'oidc-provider'])[0]?.value, 2);
});

test('issue #10: Gatehouse on PostgreSQL/MariaDB is divided by node-oidc-provider only, and its goals stay apart from the SQLite ones', () => {
  const cells = [
    ok('cc-jwt', 'gatehouse-pg', 3000),
    ok('cc-opaque', 'gatehouse-pg', 1800),
    ok('introspect-opaque', 'gatehouse-pg', 1400),
    ok('cc-jwt', 'oidc-provider', 1500),
    ok('cc-opaque', 'oidc-provider', 2000),
    ok('introspect-opaque', 'oidc-provider', 1000),
  ];
  const ratios = computeRatios(cells, [], ['cc-jwt', 'cc-opaque', 'introspect-opaque'], ['gatehouse-pg', 'oidc-provider']);
  assert.deepEqual(
    ratios.map((r) => [r.of, r.scenario, r.vs, r.value]),
    [
      ['gatehouse-pg', 'cc-jwt', 'oidc-provider', 2],
      ['gatehouse-pg', 'cc-opaque', 'oidc-provider', 0.9],
      ['gatehouse-pg', 'introspect-opaque', 'oidc-provider', 1.4],
    ],
  );
  const goals = evaluateGoals(cells, ratios, []);
  const by = (name: string) => goals.find((g) => g.name === name);
  assert.equal(by('client_credentials JWT (PostgreSQL) vs node-oidc-provider (memory)')?.met, true);
  assert.equal(by('client_credentials opaque (PostgreSQL) vs node-oidc-provider (memory)')?.met, false);
  assert.equal(by('introspection (PostgreSQL) vs node-oidc-provider (memory)')?.met, false);
  // The SQLite goal is not fed by the PostgreSQL cells.
  assert.equal(by('client_credentials JWT vs node-oidc-provider')?.met, null);
  assert.equal(goals.filter((g) => g.name.includes('MariaDB')).length, 0, 'no MariaDB goals when it was not measured');
});

test('issue #11 console cell: the next-page link of a console list is found and its entities undone; none on the last page', () => {
  const page = `<nav aria-label="Pages" class="mt-4 flex gap-2">
<a class="btn" href="http://127.0.0.1:1/admin/clients?sort=client_id">First page</a>
<a class="btn" id="next-page" rel="next" href="http://127.0.0.1:1/admin/clients?sort=client_id&amp;cursor=eyJrIjoiYSJ9">Next page</a>
</nav>`;
  assert.equal(nextPageHref(page), 'http://127.0.0.1:1/admin/clients?sort=client_id&cursor=eyJrIjoiYSJ9');
  assert.equal(nextPageHref('<nav aria-label="Pages"><a href="/admin/clients?sort=client_id">First page</a></nav>'), null);
});

test('issue #10 several processes: the L4 proxy hands connections to the upstreams in turn and copies bytes unchanged', async () => {
  const { createServer, connect } = await import('node:net');
  const { startRoundRobinProxy } = await import('./rr-proxy.ts');
  // Two echo servers that prefix their answer with their name.
  const upstream = (name: string) =>
    new Promise<{ port: number; close: () => void }>((resolve) => {
      const srv = createServer((s) => s.on('data', (d) => s.write(`${name}:${d.toString()}`)));
      srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as { port: number }).port, close: () => srv.close() }));
    });
  const a = await upstream('a');
  const b = await upstream('b');
  const proxy = await startRoundRobinProxy([a.port, b.port]);
  try {
    const ask = (msg: string) =>
      new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: proxy.port }, () => s.write(msg));
        s.once('data', (d) => {
          resolve(d.toString());
          s.destroy();
        });
        s.on('error', reject);
      });
    assert.deepEqual([await ask('x'), await ask('y'), await ask('z')], ['a:x', 'b:y', 'a:z']);
    assert.deepEqual(proxy.stats().connections, [2, 1]);
  } finally {
    await proxy.close();
    a.close();
    b.close();
  }
});

test('issue #10 several processes: CPU per request against one process (≤ 1.15×) and no loss, lost tokens included', async () => {
  const { scaleGoals, lostInRun } = await import('./scale.ts');
  const cell = (scenario: string, target: string, us: number, extra: Partial<CellSummary> = {}): CellSummary => ({
    scenario,
    target,
    status: 'ok',
    reqPerSec: 1000,
    serverCpuUsPerRequest: us,
    rounds: 1,
    ...extra,
  });
  const scenarios = ['cc-jwt', 'cc-opaque', 'introspect-opaque', 'refresh'];
  const cells = [
    ...scenarios.map((s) => cell(s, 'gatehouse-pg-redis', 100)),
    ...scenarios.map((s) => cell(s, 'gatehouse-pg-workers', s === 'refresh' ? 110 : 105)),
    ...scenarios.map((s) => cell(s, 'gatehouse-pg-2x', s === 'cc-jwt' ? 130 : 100)),
  ];
  const runs = [
    run({ scenario: 'cc-opaque', target: 'gatehouse-pg-workers', tokensIssued: 500, tokensFound: 500 }),
    run({ scenario: 'cc-opaque', target: 'gatehouse-pg-2x', tokensIssued: 500, tokensFound: 498 }),
  ];
  const goals = scaleGoals(cells, runs);
  const find = (prefix: string, what: string) => goals.find((g) => g.name.startsWith(prefix) && g.name.includes(what))!;
  assert.equal(find('--workers 2', 'CPU').measured, 1.1);
  assert.equal(find('--workers 2', 'CPU').met, true);
  assert.equal(find('--workers 2', 'lost').met, true);
  assert.equal(find('2 instances', 'CPU').met, false, '1.3× is more than 1.15×');
  assert.equal(find('2 instances', 'CPU').note, 'cc-jwt');
  assert.equal(find('2 instances', 'lost').measured, 2, 'two issued tokens were not in the store');
  assert.equal(find('2 instances', 'lost').met, false);
  assert.equal(lostInRun(run({ problem: 'after: request failed' })), 1, 'a failed probe counts');
  assert.deepEqual(
    scaleGoals(
      cells.filter((c) => c.target !== 'gatehouse-pg-redis'),
      runs,
    ),
    [],
    'no goal without the one-process cell',
  );
});
