import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FILE_VARIABLES } from '../../src/config/env.ts';
import { loadConfig } from '../../src/config/load.ts';
import { assertHardenedWorkload, type K8sObject, kustomizeBuild, strategicMerge, validateK8s } from './k8s-support.ts';

const kustomize = join(dirname(fileURLToPath(import.meta.url)), '../../deploy/kustomize');
const builds = {
  base: kustomizeBuild(join(kustomize, 'base')),
  dev: kustomizeBuild(join(kustomize, 'overlays/dev')),
  production: kustomizeBuild(join(kustomize, 'overlays/production')),
};
const one = (objs: K8sObject[], kind: string) => {
  const found = objs.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!;
};
const tmp = await mkdtemp(join(tmpdir(), 'gatehouse-kustomize-'));
after(() => rm(tmp, { recursive: true, force: true }));

/** The config a pod of this build reads: ConfigMap env + the Secret's keys as files, through loadConfig. */
async function podConfig(objs: K8sObject[], secret: Record<string, string>) {
  const cm = one(objs, 'ConfigMap').data as Record<string, string>;
  const mount = one(objs, 'Deployment').spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === 'secrets').mountPath;
  const dir = await mkdtemp(join(tmp, 'secrets-'));
  for (const [k, v] of Object.entries(secret)) await writeFile(join(dir, k), `${v}\n`);
  const env = Object.fromEntries(Object.entries(cm).map(([k, v]) => [k, v.startsWith(`${mount}/`) ? join(dir, v.slice(mount.length + 1)) : v]));
  return loadConfig({ env });
}

test('strategic merge: maps merge, null removes, named lists merge by name, other lists replace', () => {
  const merged = strategicMerge(
    {
      a: { b: 1, c: 2 },
      list: [
        { name: 'x', v: 1 },
        { name: 'y', v: 2 },
      ],
      plain: [1, 2],
      gone: 1,
    },
    {
      a: { c: 3 },
      list: [
        { name: 'y', v: 9 },
        { name: 'z', v: 3 },
      ],
      plain: [5],
      gone: null,
    },
  );
  assert.deepEqual(merged, {
    a: { b: 1, c: 3 },
    list: [
      { name: 'x', v: 1 },
      { name: 'y', v: 9 },
      { name: 'z', v: 3 },
    ],
    plain: [5],
  });
});

for (const [name, objs] of Object.entries(builds)) {
  test(`kustomize ${name}: every object validates against the Kubernetes schema of its kind`, async () => {
    assert.ok(objs.length >= 8);
    for (const o of objs) await validateK8s(o);
    // The check is not vacuous: a wrong type is rejected.
    const d = structuredClone(one(objs, 'Deployment'));
    d.spec.replicas = 'two';
    await assert.rejects(validateK8s(d), /replicas/);
  });

  test(`kustomize ${name}: Deployment with probes, hardened pods, and Service/PDB/HPA/NetworkPolicy pointing at it`, () => {
    const dep = one(objs, 'Deployment');
    const c = dep.spec.template.spec.containers[0];
    assert.equal(c.startupProbe.httpGet.path, '/health');
    assert.equal(c.livenessProbe.httpGet.path, '/health');
    assert.equal(c.readinessProbe.httpGet.path, '/ready');
    for (const o of objs) assertHardenedWorkload(o);
    const podLabels = dep.spec.template.metadata.labels;
    const matches = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => podLabels[k] === v);
    assert.ok(matches(dep.spec.selector.matchLabels));
    assert.ok(matches(one(objs, 'Service').spec.selector));
    assert.ok(matches(one(objs, 'PodDisruptionBudget').spec.selector.matchLabels));
    assert.ok(matches(one(objs, 'NetworkPolicy').spec.podSelector.matchLabels));
    assert.equal(one(objs, 'HorizontalPodAutoscaler').spec.scaleTargetRef.name, dep.metadata.name);
    const cm = one(objs, 'ConfigMap');
    assert.equal(c.envFrom[0].configMapRef.name, cm.metadata.name);
    for (const v of FILE_VARIABLES) assert.equal(cm.data[v], undefined, `${v} is not in the ConfigMap: secrets come from files`);
  });
}

test('kustomize base and production: a one-shot Job bootstraps the first admin from the Secret, idempotently', () => {
  for (const objs of [builds.base, builds.production]) {
    const job = one(objs, 'Job');
    const c = job.spec.template.spec.containers[0];
    const script = c.args.join(' ');
    assert.match(script, /gatehouse users show admin/);
    assert.match(script, /gatehouse users create --username admin --role admin --password-stdin < \/run\/secrets\/gatehouse\/admin-password/);
    assert.equal(job.spec.template.spec.restartPolicy, 'OnFailure');
    assert.equal(c.image, one(objs, 'Deployment').spec.template.spec.containers[0].image, 'the Job runs the same image');
  }
});

test('kustomize production: namespace, pinned image, three replicas, autoscaling from three, Redis and admin token from files', async () => {
  const objs = builds.production;
  for (const o of objs) assert.equal(o.metadata.namespace, 'gatehouse');
  for (const o of objs) assert.equal(o.metadata.labels?.['app.kubernetes.io/name'], 'gatehouse');
  const dep = one(objs, 'Deployment');
  assert.equal(dep.spec.template.spec.containers[0].image, 'registry.example.com/gatehouse:0.1.0');
  assert.equal(dep.spec.replicas, 3);
  assert.equal(one(objs, 'HorizontalPodAutoscaler').spec.minReplicas, 3);
  assert.equal(one(objs, 'PodDisruptionBudget').spec.minAvailable, 2);
  assert.equal(dep.spec.template.spec.containers[0].resources.requests.cpu, '1');
  assert.equal(dep.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem, true, 'the patch kept the base hardening');
  // Gatehouse accepts this configuration once the operator's Secret is mounted.
  const config = await podConfig(objs, {
    kek: randomBytes(32).toString('base64'),
    'database-url': 'postgres://gatehouse:pw@postgres:5432/gatehouse',
    'redis-url': 'redis://:pw@redis:6379/0',
    'admin-password': 'unused-here',
  });
  assert.equal(config.env, 'production');
  assert.equal(config.issuer, 'https://id.example.com');
  assert.equal(config.database.url, 'postgres://gatehouse:pw@postgres:5432/gatehouse');
  assert.equal(config.redis.url, 'redis://:pw@redis:6379/0');
  assert.equal(config.database.poolSize, 20);
});

test('kustomize dev: one instance on SQLite, Recreate, no bootstrap Job; its Secret is a valid development config', async () => {
  const objs = builds.dev;
  for (const o of objs) assert.equal(o.metadata.namespace, 'gatehouse-dev');
  const dep = one(objs, 'Deployment');
  assert.equal(dep.spec.replicas, 1);
  assert.deepEqual(dep.spec.strategy, { type: 'Recreate' });
  assert.equal(objs.filter((o) => o.kind === 'Job').length, 0);
  const secret = one(objs, 'Secret');
  const config = await podConfig(objs, secret.stringData);
  assert.equal(config.env, 'development');
  assert.equal(config.database.url, 'sqlite:/var/lib/gatehouse/data/gatehouse.db');
  assert.equal(Buffer.from(config.kek!, 'base64').length, 32);
});
