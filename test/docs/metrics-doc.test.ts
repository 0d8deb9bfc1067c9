// docs/metrics.md and the Prometheus registry name the same metrics with the same labels, and
// the Grafana dashboard and Prometheus alert rules in deploy/ use only those names (#9 part 5).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { startTestServer, type TestServer } from '../support/server.ts';

const root = new URL('../../', import.meta.url).pathname;

/**
 * Registered by modules that are merged separately (the outbox relay): documented here already,
 * allowed to be missing from the registry until they are. Remove a name once it registers.
 */
const REGISTERED_ELSEWHERE = new Set<string>();
/** prom-client's default process metrics: documented as a family, not one by one. */
const DEFAULT_METRIC = /^(process_|nodejs_)/;

interface Documented {
  readonly type: string;
  readonly labels: readonly string[];
}

/** The metric tables of docs/metrics.md: `| \`name\` | type | \`label\`, … | meaning |`. */
function documented(doc: string): Map<string, Documented> {
  const out = new Map<string, Documented>();
  for (const m of doc.matchAll(/^\| `([a-z][a-z0-9_:]*)` \| (counter|gauge|histogram|summary) \| ([^|]*) \|/gm)) {
    const labels = [...m[3]!.matchAll(/`([a-z_]+)`/g)].map((x) => x[1]!).sort();
    out.set(m[1]!, { type: m[2]!, labels });
  }
  return out;
}

let s: TestServer;
let registry: Map<string, Documented>;
let allNames: Set<string>;

before(async () => {
  // An event sink configured, so the outbox and delivery metrics (registered only with sinks) are checked too.
  s = await startTestServer({ events: { urls: ['log:'] } });
  const metrics = s.gh.ctx.metrics!;
  registry = new Map();
  allNames = new Set();
  for (const m of metrics.registry.getMetricsAsArray()) {
    const { name, type, labelNames } = m as unknown as { name: string; type: string; labelNames: string[] };
    allNames.add(name);
    if (!DEFAULT_METRIC.test(name)) registry.set(name, { type, labels: [...labelNames].sort() });
  }
});
after(() => s.close());

test('docs/metrics.md documents every registered metric with its type and labels, and documents nothing that is not registered', async () => {
  const doc = documented(await readFile(join(root, 'docs/metrics.md'), 'utf8'));
  assert.deepEqual(
    [...registry.keys()].filter((n) => !doc.has(n)),
    [],
    'registered but missing from docs/metrics.md',
  );
  assert.deepEqual(
    [...doc.keys()].filter((n) => !registry.has(n) && !REGISTERED_ELSEWHERE.has(n)),
    [],
    'documented but not registered',
  );
  for (const [name, d] of registry) assert.deepEqual(doc.get(name), d, `${name}: type and labels in docs/metrics.md`);
});

/** Every metric name a PromQL expression uses (histogram series suffixes folded to their metric). */
function metricNames(expr: string): string[] {
  const known = new Set([...allNames, ...REGISTERED_ELSEWHERE]);
  const out: string[] = [];
  // Identifiers followed by `{`, `[`, `)` or whitespace that look like metric names (contain `_`),
  // minus PromQL functions, keywords and label names inside braces.
  const stripped = expr
    .replace(/\$\w+/g, ' ')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/"[^"]*"/g, '""');
  for (const m of stripped.matchAll(/\b([a-z_:][a-z0-9_:]*)\b(?!\s*\()/g)) {
    const id = m[1]!;
    if (!id.includes('_') || /^(by|without|on|ignoring|group_left|group_right|bool|offset)$/.test(id)) continue;
    if (
      /^(le|route|status|method|grant_type|client_id|reason|policy|dependency|sink|alg|operation|result|token_type|format|backend|quantile|instance|job)$/.test(
        id,
      )
    )
      continue;
    const base = id.replace(/_(bucket|sum|count)$/, '');
    out.push(known.has(id) ? id : base);
  }
  return out;
}

function exprsOfDashboard(dash: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'expr' && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(dash);
  return out;
}

test('deploy/grafana/gatehouse-dashboard.json queries only metrics that the registry exports (or docs/metrics.md assigns to the outbox relay)', async () => {
  const dash = JSON.parse(await readFile(join(root, 'deploy/grafana/gatehouse-dashboard.json'), 'utf8')) as { panels: unknown[]; title: string };
  const exprs = exprsOfDashboard(dash);
  assert.ok(exprs.length >= 12, `a real dashboard (${exprs.length} queries)`);
  const unknown = exprs.flatMap(metricNames).filter((n) => !allNames.has(n) && !REGISTERED_ELSEWHERE.has(n));
  assert.deepEqual([...new Set(unknown)], []);
});

test('deploy/prometheus/alerts.yml: every rule has a `for:`, a severity and a description, and uses only exported metric names', async () => {
  const doc = parse(await readFile(join(root, 'deploy/prometheus/alerts.yml'), 'utf8')) as {
    groups: { name: string; rules: { alert: string; expr: string; for?: string; labels?: { severity?: string }; annotations?: { description?: string } }[] }[];
  };
  const rules = doc.groups.flatMap((g) => g.rules);
  assert.ok(rules.length >= 8, `${rules.length} rules`);
  for (const r of rules) {
    assert.match(r.for ?? '', /^\d+[smh]$/, `${r.alert}: for`);
    assert.ok(r.labels?.severity, `${r.alert}: severity`);
    assert.ok((r.annotations?.description ?? '').length > 20, `${r.alert}: description`);
  }
  const unknown = rules.flatMap((r) => metricNames(r.expr)).filter((n) => !allNames.has(n) && !REGISTERED_ELSEWHERE.has(n));
  assert.deepEqual([...new Set(unknown)], []);
  for (const name of [
    'HighErrorRatio',
    'HighLatencyP99',
    'BreakerOpen',
    'LoadShedding',
    'OutboxLagGrowing',
    'EventsDeadLettered',
    'SigningKeyTooOld',
    'AuditHeadNotPublished',
  ])
    assert.ok(
      rules.some((r) => r.alert === `Gatehouse${name}`),
      name,
    );
});

test('the name check itself rejects a metric that does not exist', () => {
  assert.deepEqual(
    metricNames('sum(rate(gatehouse_no_such_total{route="/token"}[5m])) / sum(rate(http_server_requests_duration_seconds_count[5m]))').filter(
      (n) => !allNames.has(n),
    ),
    ['gatehouse_no_such_total'],
  );
});
