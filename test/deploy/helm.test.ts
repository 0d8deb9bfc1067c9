import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as renderGoTemplate } from '@evertdespiegeleer/go-template';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { FILE_VARIABLES } from '../../src/config/env.ts';
import { assertHardenedWorkload, type K8sObject, strategicMerge, validateK8s } from './k8s-support.ts';

// No helm binary is installable here. The chart uses only Go text/template built-ins, so a
// WebAssembly build of Go's own text/template renders it exactly as Helm's engine would; the
// values schema is checked with Ajv and every rendered object against the Kubernetes schemas.
const chart = join(dirname(fileURLToPath(import.meta.url)), '../../deploy/helm/gatehouse');
const meta = parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8'));
const defaults = parse(readFileSync(join(chart, 'values.yaml'), 'utf8'));
const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8'));
const validateValues = new Ajv({ allErrors: true, allowUnionTypes: true }).compile({ ...schema, $schema: undefined });
const helpers = readFileSync(join(chart, 'templates/_helpers.tpl'), 'utf8');
const templates = readdirSync(join(chart, 'templates')).filter((f) => f.endsWith('.yaml'));

async function helmTemplate(overrides: Record<string, unknown> = {}): Promise<K8sObject[]> {
  const values = strategicMerge(defaults, overrides);
  assert.ok(validateValues(values), JSON.stringify(validateValues.errors));
  const context = {
    Values: values,
    Release: { Name: 'auth', Namespace: 'identity', Service: 'Helm' },
    Chart: { Name: meta.name, Version: meta.version, AppVersion: meta.appVersion },
  };
  const objects: K8sObject[] = [];
  for (const t of templates) {
    const text = await renderGoTemplate(helpers + readFileSync(join(chart, 'templates', t), 'utf8'), context);
    for (const d of parseAllDocuments(text)) {
      assert.deepEqual(d.errors, [], `templates/${t} renders valid YAML`);
      const o = d.toJSON();
      if (o) objects.push(o);
    }
  }
  return objects;
}
const kinds = (objs: K8sObject[]) => objs.map((o) => o.kind).sort();
const one = (objs: K8sObject[], kind: string) => objs.find((o) => o.kind === kind)!;

test('Helm: Chart.yaml is a v2 application chart and values.yaml satisfies values.schema.json', () => {
  assert.equal(meta.apiVersion, 'v2');
  assert.equal(meta.type, 'application');
  assert.ok(validateValues(defaults), JSON.stringify(validateValues.errors));
});

test('Helm values schema rejects what would break the deployment', () => {
  const bad: Record<string, unknown>[] = [
    { replicaCount: 'two' },
    { replicaCount: 0 },
    { config: { issuer: 'https://id.example.com/?x=1' } },
    { config: { extraEnv: { GATEHOUSE_KEK: 'secret-in-values' } } }, // secrets never go in values
    { config: { extraEnv: { PATH: '/x' } } },
    { image: { pullPolicy: 'Sometimes' } },
    { resources: { requests: { cpu: 'lots' } } },
    { bogus: true },
  ];
  for (const b of bad) assert.equal(validateValues(strategicMerge(defaults, b)), false, JSON.stringify(b));
});

test('Helm default values: every rendered object validates against the Kubernetes schema of its kind', async () => {
  const objs = await helmTemplate();
  assert.deepEqual(kinds(objs), [
    'ConfigMap',
    'Deployment',
    'HorizontalPodAutoscaler',
    'Job',
    'NetworkPolicy',
    'PodDisruptionBudget',
    'Service',
    'ServiceAccount',
  ]);
  for (const o of objs) await validateK8s(o);
  for (const o of objs) {
    assert.equal(o.metadata.namespace, 'identity');
    assert.equal(o.metadata.labels?.['app.kubernetes.io/instance'], 'auth');
    assertHardenedWorkload(o);
  }
  const dep = one(objs, 'Deployment');
  assert.equal(dep.spec.replicas, undefined, 'the HPA owns the replica count');
  const c = dep.spec.template.spec.containers[0];
  assert.equal(c.image, `${defaults.image.repository}:${defaults.image.tag}`);
  assert.deepEqual([c.startupProbe.httpGet.path, c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path], ['/health', '/health', '/ready']);
  const cm = one(objs, 'ConfigMap').data;
  for (const v of ['GATEHOUSE_KEK', 'GATEHOUSE_DATABASE_URL', 'GATEHOUSE_REDIS_URL'])
    assert.equal(cm[`${v}_FILE`], `/run/secrets/gatehouse/${v.slice(10).toLowerCase().replace(/_/g, '-')}`);
  for (const v of FILE_VARIABLES) assert.equal(cm[v], undefined);
  const job = one(objs, 'Job');
  assert.equal(job.metadata.annotations?.['helm.sh/hook'], 'post-install,post-upgrade');
  assert.match(job.spec.template.spec.containers[0].args[0], /gatehouse users create --username admin --role admin --password-stdin </);
});

test('Helm values switch objects and settings: no autoscaling → fixed replicas; PDB, policy, Job off; ServiceMonitor on; extra env', async () => {
  const objs = await helmTemplate({
    replicaCount: 4,
    autoscaling: { enabled: false },
    podDisruptionBudget: { enabled: false },
    networkPolicy: { enabled: false },
    bootstrapAdmin: { enabled: false },
    serviceMonitor: { enabled: true, interval: '15s' },
    secrets: { redisUrl: false },
    config: { extraEnv: { GATEHOUSE_ACCESS_TOKEN_FORMAT: 'opaque' } },
    resources: { limits: { cpu: 2 } },
  });
  assert.deepEqual(kinds(objs), ['ConfigMap', 'Deployment', 'Service', 'ServiceAccount', 'ServiceMonitor']);
  for (const o of objs.filter((o) => o.kind !== 'ServiceMonitor')) await validateK8s(o);
  const dep = one(objs, 'Deployment');
  assert.equal(dep.spec.replicas, 4);
  assert.equal(dep.spec.template.spec.containers[0].resources.limits.cpu, '2');
  const cm = one(objs, 'ConfigMap').data;
  assert.equal(cm.GATEHOUSE_ACCESS_TOKEN_FORMAT, 'opaque');
  assert.equal(cm.GATEHOUSE_REDIS_URL_FILE, undefined);
  const sm = one(objs, 'ServiceMonitor');
  assert.equal(sm.apiVersion, 'monitoring.coreos.com/v1');
  assert.deepEqual(sm.spec.endpoints, [{ port: 'http', path: '/metrics', interval: '15s' }]);
  assert.ok(
    Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => one(objs, 'Service').metadata.labels?.[k] === v),
    'selects the Service',
  );
});
