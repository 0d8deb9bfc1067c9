import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * Just enough of kustomize to build deploy/kustomize (no kustomize binary is installable here):
 * `resources` (files and directories), `patches` (strategic-merge patch files matched by kind and
 * name, `$patch: delete`), `namespace`, `labels` (metadata only) and `images`. The strategic merge
 * follows Kubernetes' rules for what the overlays use: maps merge, `null` removes a key, lists of
 * objects keyed by `name` (containers, env, volumes, ports) merge by name, other lists replace.
 * A kustomization key it does not implement is an error, so the overlays cannot silently outgrow it.
 */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: any;
};

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'patches', 'namespace', 'labels', 'images']);

export function readYamlDocs(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
      return d.toJSON() as K8sObject;
    })
    .filter((o) => o !== null);
}

const isMap = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function strategicMerge(target: any, patch: any): any {
  if (!isMap(target) || !isMap(patch)) return patch;
  const out: Record<string, any> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch') continue;
    if (v === null) delete out[k];
    else if (Array.isArray(v) && Array.isArray(out[k]) && v.every((e) => isMap(e) && 'name' in e)) {
      const merged = [...out[k]];
      for (const e of v) {
        const i = merged.findIndex((m) => isMap(m) && m.name === e.name);
        if (i >= 0) merged[i] = strategicMerge(merged[i], e);
        else merged.push(e);
      }
      out[k] = merged;
    } else out[k] = strategicMerge(out[k], v);
  }
  return out;
}

function podSpecs(o: K8sObject): any[] {
  if (o.spec?.template?.spec) return [o.spec.template.spec];
  if (o.spec?.jobTemplate?.spec?.template?.spec) return [o.spec.jobTemplate.spec.template.spec];
  return [];
}

export function kustomizeBuild(dir: string): K8sObject[] {
  const k = readYamlDocs(join(dir, 'kustomization.yaml'))[0] as any;
  for (const key of Object.keys(k)) if (!SUPPORTED.has(key)) throw new Error(`${dir}/kustomization.yaml: "${key}" is not implemented by the test's kustomize`);
  let objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    objects.push(...(statSync(path).isDirectory() ? kustomizeBuild(path) : readYamlDocs(path)));
  }
  for (const p of k.patches ?? []) {
    if (!p.path || p.target || p.patch) throw new Error(`${dir}: only file strategic-merge patches are implemented`);
    for (const patch of readYamlDocs(join(dir, p.path))) {
      const i = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (i < 0) throw new Error(`${dir}/${p.path}: no ${patch.kind} ${patch.metadata.name} to patch`);
      if (patch.$patch === 'delete') objects = objects.filter((_, j) => j !== i);
      else objects[i] = strategicMerge(objects[i], patch);
    }
  }
  for (const { pairs } of k.labels ?? []) for (const o of objects) o.metadata = { ...o.metadata, labels: { ...o.metadata.labels, ...pairs } };
  if (k.namespace) for (const o of objects) o.metadata = { ...o.metadata, namespace: k.namespace };
  for (const img of k.images ?? [])
    for (const o of objects)
      for (const spec of podSpecs(o))
        for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
          const [name, tag] = String(c.image).split(/:(?=[^/]*$)/);
          if (name === img.name) c.image = `${img.newName ?? name}:${img.newTag ?? tag ?? 'latest'}`;
        }
  return objects;
}

/** Validates one object against the Kubernetes OpenAPI schema of its kind (kubernetes-models). */
export async function validateK8s(o: K8sObject): Promise<void> {
  let mod: Record<string, any>;
  try {
    mod = await import(`kubernetes-models/${o.apiVersion}/${o.kind}`);
  } catch {
    throw new Error(`${o.apiVersion} ${o.kind} is not a Kubernetes kind known to kubernetes-models`);
  }
  const Model = mod[o.kind];
  new Model(o).validate();
}

/** The security and probe rules every Gatehouse workload obeys (docs/deploy.md). */
export function assertHardenedWorkload(o: K8sObject): void {
  for (const spec of podSpecs(o)) {
    assert.equal(spec.securityContext?.runAsNonRoot, true, `${o.kind} ${o.metadata.name}: runAsNonRoot`);
    assert.ok(spec.securityContext?.runAsUser > 0, `${o.kind}: a non-root runAsUser`);
    assert.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${o.kind}: seccomp RuntimeDefault`);
    assert.equal(spec.automountServiceAccountToken, false, `${o.kind}: no API token mounted`);
    for (const c of spec.containers) {
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${c.name}: readOnlyRootFilesystem`);
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${c.name}: allowPrivilegeEscalation false`);
      assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${c.name}: drops ALL capabilities`);
      assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.memory, `${c.name}: resource requests and a memory limit`);
      const writable = (c.volumeMounts ?? []).filter((m: any) => !m.readOnly).map((m: any) => m.mountPath);
      assert.deepEqual(writable, ['/var/lib/gatehouse'], `${c.name}: only the data directory is writable`);
    }
  }
}
