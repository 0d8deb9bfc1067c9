import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { FILE_VARIABLES } from '../../src/config/env.ts';
import { loadConfig } from '../../src/config/load.ts';

// deploy/compose.yaml is validated, not run (its images cannot be pulled here): against the
// Compose Specification JSON schema that dclint ships, then for what Gatehouse needs of it.
const deploy = join(dirname(fileURLToPath(import.meta.url)), '../../deploy');
const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(join(dirname(require.resolve('dclint/package.json')), 'schemas/compose.schema.json'), 'utf8'));
const compose = parse(readFileSync(join(deploy, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, Record<string, any>>;
  secrets: Record<string, { file?: string }>;
  configs: Record<string, { content?: string; file?: string }>;
};
const gatehouses = Object.entries(compose.services).filter(([, s]) => s.build?.dockerfile === 'deploy/Dockerfile');

test('Compose Specification: deploy/compose.yaml validates against the compose-spec JSON schema', () => {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const validate = ajv.compile({ ...schema, $schema: undefined }); // draft-07, Ajv's default dialect
  assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
  // The schema is strict: a misspelt key fails (the check is not vacuous).
  assert.equal(validate({ ...compose, services: { ...compose.services, bogus: { imagee: 'x' } } }), false);
});

test('two Gatehouse instances built from deploy/Dockerfile, read-only, non-root, no capabilities', () => {
  assert.equal(gatehouses.length, 2, 'two Gatehouse services');
  for (const [name, s] of gatehouses) {
    assert.equal(s.build.context, '..', `${name} builds from the repository root`);
    assert.equal(s.read_only, true, `${name} read_only`);
    assert.match(String(s.user), /^[1-9]\d*:[1-9]\d*$/, `${name} runs as a non-root uid`);
    assert.deepEqual(s.cap_drop, ['ALL']);
    assert.equal(s.environment.GATEHOUSE_ENV, 'production');
    assert.ok(s.healthcheck?.test?.join(' ').includes('/ready'), `${name} health check uses /ready`);
    assert.ok(s.depends_on.postgres && s.depends_on.redis, `${name} waits for PostgreSQL and Redis`);
  }
  const issuers = new Set(gatehouses.map(([, s]) => s.environment.GATEHOUSE_ISSUER));
  assert.equal(issuers.size, 1, 'every instance names the same issuer');
  for (const svc of ['postgres', 'redis', 'prometheus', 'grafana', 'proxy']) assert.ok(compose.services[svc], `${svc} service`);
});

test('secrets reach Gatehouse only as files: every secret-bearing variable is set through _FILE, each file a declared secret', () => {
  for (const [name, s] of gatehouses) {
    const env = s.environment as Record<string, string>;
    for (const v of FILE_VARIABLES) assert.equal(env[v], undefined, `${name} sets ${v} in plain text`);
    for (const v of ['GATEHOUSE_KEK', 'GATEHOUSE_DATABASE_URL', 'GATEHOUSE_REDIS_URL']) assert.ok(env[`${v}_FILE`], `${name} sets ${v}_FILE`);
    for (const [k, path] of Object.entries(env).filter(([k]) => k.endsWith('_FILE'))) {
      const secret = /^\/run\/secrets\/(\w+)$/.exec(path)?.[1];
      assert.ok(secret, `${k} points into /run/secrets`);
      assert.ok(s.secrets.includes(secret), `${name} mounts the secret ${secret}`);
      assert.ok(compose.secrets[secret]?.file?.startsWith('./secrets/'), `secret ${secret} is a file under deploy/secrets/`);
    }
  }
  // deploy/secrets/generate.sh writes every file the compose file declares.
  const script = readFileSync(join(deploy, 'secrets/generate.sh'), 'utf8');
  for (const [secret, { file }] of Object.entries(compose.secrets))
    assert.match(script, new RegExp(`put ${file!.replace('./secrets/', '')} `), `generate.sh writes ${secret}`);
});

test('Prometheus scrapes both instances with the alert rules; Grafana provisions the Gatehouse dashboard', () => {
  const prom = compose.services.prometheus!;
  const promConfig = parse(compose.configs[prom.configs[0].source]!.content!);
  const targets = promConfig.scrape_configs.flatMap((c: any) => c.static_configs.flatMap((s: any) => s.targets));
  assert.deepEqual(targets.sort(), gatehouses.map(([n]) => `${n}:8080`).sort());
  assert.ok(prom.volumes.some((v: string) => v.startsWith('./prometheus/alerts.yml:/etc/prometheus/alerts.yml')));
  assert.ok(promConfig.rule_files.includes('/etc/prometheus/alerts.yml'));
  const grafana = compose.services.grafana!;
  const dash = grafana.volumes.find((v: string) => v.startsWith('./grafana/gatehouse-dashboard.json:'));
  assert.ok(dash, 'the dashboard of deploy/grafana/ is mounted');
  const provider = parse(compose.configs.grafana_dashboards!.content!);
  assert.ok(dash.split(':')[1].startsWith(provider.providers[0].options.path), 'the dashboard lies in the provisioned folder');
  // The paths are relative to deploy/ (where compose.yaml lies), as the other deploy/ files are.
  for (const v of [...prom.volumes, ...grafana.volumes].filter((v: string) => v.startsWith('./')))
    assert.ok(resolve(deploy, v.split(':')[0]).startsWith(deploy), `${v} stays inside deploy/`);
});

test('Gatehouse accepts the environment of each instance with the secret files of generate.sh', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-compose-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const secrets: Record<string, string> = {
    gatehouse_kek: randomBytes(32).toString('base64'),
    gatehouse_database_url: 'postgres://gatehouse:pw@postgres:5432/gatehouse',
    gatehouse_redis_url: 'redis://:pw@redis:6379/0',
  };
  for (const [k, v] of Object.entries(secrets)) await writeFile(join(dir, k), `${v}\n`);
  for (const [, s] of gatehouses) {
    const env = Object.fromEntries(Object.entries(s.environment as Record<string, string>).map(([k, v]) => [k, v.replace('/run/secrets/', `${dir}/`)]));
    const config = await loadConfig({ env });
    assert.equal(config.env, 'production');
    assert.equal(config.database.url, secrets.gatehouse_database_url);
    assert.equal(config.redis.url, secrets.gatehouse_redis_url);
    assert.equal(config.kek, secrets.gatehouse_kek);
  }
});
