#!/usr/bin/env node
// `npm run test:container`: builds deploy/Dockerfile with podman and runs the image for real, the
// way docs/deploy.md says to run it: read-only root filesystem, non-root user, data on a volume,
// the KEK from a mounted secret file. It must become ready, issue a client_credentials token that
// verifies against its JWKS, and refuse writes outside the data directory.
//
// Not part of `npm test`: it is slow (a cold run bootstraps a Debian 13 base image) and needs root.
// `.ci/run` runs it after the Node 20 suite. Without podman it installs Debian's podman; when that
// is impossible it skips with the reason, or fails when CI=true / GATEHOUSE_TEST_REQUIRE_BACKENDS=1.
//
// Environment:
//   GATEHOUSE_CONTAINER_BASE_IMAGE  base image for both stages (default: a Debian 13 minbase made
//                                   with debootstrap, cached in /var/cache/gatehouse-ci/ per day;
//                                   set debian:trixie-slim where Docker Hub is reachable)
//   GATEHOUSE_CONTAINER_TIMEOUT     overall limit in seconds (default 1500)
//   GATEHOUSE_CONTAINER_KEEP=1      keep the container after the run (for debugging)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { parse as parseYaml } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const required = process.env.CI === 'true' || process.env.GATEHOUSE_TEST_REQUIRE_BACKENDS === '1';
const started = Date.now();
const deadline = started + Number(process.env.GATEHOUSE_CONTAINER_TIMEOUT ?? 1500) * 1000;
const CACHE = '/var/cache/gatehouse-ci';
const SUITE = 'trixie';
const MIRROR = 'http://deb.debian.org/debian';
const LOCAL_CAS = '/usr/local/share/ca-certificates';
const UID = 10001; // the image's fixed non-root user (deploy/Dockerfile)
const IMAGE = 'localhost/gatehouse:container-test';
const name = `gatehouse-ct-${randomBytes(4).toString('hex')}`;
const cleanups = [];

const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const log = (line) => console.log(`[test:container +${secs(Date.now() - started)}] ${line}`);
const remaining = () => Math.max(1000, deadline - Date.now());

/** Running children: after a timeout, cleanup waits (bounded) until the signalled ones have exited. */
const children = new Set();
class Fail extends Error {}
const fail = (msg) => {
  throw new Fail(msg);
};

/** Runs a command to completion within the overall deadline; output is kept (and streamed when `stream`). */
function run(cmd, args, { stream = false, input, timeoutMs, allowFail = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.on('close', () => children.delete(child));
    let out = '';
    let err = '';
    const limit = Math.min(timeoutMs ?? Number.POSITIVE_INFINITY, remaining());
    const timer = setTimeout(() => {
      // SIGTERM first: podman removes its build container and stops what it started.
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      reject(new Fail(`timed out after ${secs(limit)}: ${cmd} ${args.join(' ')}`));
    }, limit);
    child.stdout.on('data', (d) => {
      out += d;
      if (stream) process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      err += d;
      if (stream) process.stderr.write(d);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 && !allowFail) reject(new Fail(`${cmd} ${args.join(' ')} exited ${code}\n${err.trim() || out.trim()}`));
      else resolve({ code, out, err });
    });
    child.stdin.end(input ?? '');
  });
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

async function step(title, fn) {
  const t = Date.now();
  log(`▶ ${title}`);
  const result = await fn();
  log(`✔ ${title} (${secs(Date.now() - t)})`);
  return result;
}

/** podman, buildah, debootstrap and runc from Debian when missing (root only). */
async function ensureTools() {
  const missing = ['podman', 'debootstrap', 'runc'].filter((c) => !has(c));
  if (!missing.length) return null;
  if (process.getuid?.() !== 0) return `${missing.join(', ')} missing and not running as root to install them`;
  if (!has('apt-get')) return `${missing.join(', ')} missing and no apt-get to install them`;
  log(`installing Debian packages: podman buildah debootstrap runc (missing: ${missing.join(', ')})`);
  const env = 'DEBIAN_FRONTEND=noninteractive';
  const r = await run('sh', ['-c', `apt-get update -qq && ${env} apt-get install -y -qq podman buildah debootstrap runc`], { allowFail: true });
  if (r.code !== 0) return `apt-get install podman failed:\n${(r.err || r.out).trim().split('\n').slice(-5).join('\n')}`;
  return null;
}

/**
 * Global podman options that work on this machine. A container host without a unified cgroup v2
 * tree and without CAP_SYS_RESOURCE (this CI machine is itself a container) needs runc with the
 * cgroupfs manager, and limits no higher than the caller's (podman raises nofile by default).
 */
async function podmanProfile(base) {
  const hardNofile = Number(spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim()) || 8192;
  const hardNproc = Number(spawnSync('sh', ['-c', 'ulimit -Hu'], { encoding: 'utf8' }).stdout.trim()) || 8192;
  const nofile = Math.min(65536, Math.floor(hardNofile / 2));
  const nproc = Math.min(65536, Math.floor(hardNproc / 2));
  const ulimits = ['--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`];
  const candidates = [
    { global: [], ulimits: [] },
    { global: ['--cgroup-manager', 'cgroupfs'], ulimits },
    { global: ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs'], ulimits },
    { global: ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--storage-driver', 'vfs'], ulimits },
  ];
  const reasons = [];
  for (const c of candidates) {
    const r = await run('podman', [...c.global, 'run', '--rm', '--network', 'host', ...c.ulimits, base, 'true'], { allowFail: true, timeoutMs: 120_000 });
    if (r.code === 0) return c;
    reasons.push(`podman ${c.global.join(' ') || '(defaults)'}: ${(r.err || r.out).trim().split('\n').pop()}`);
  }
  fail(`no podman configuration can run a container here:\n  ${reasons.join('\n  ')}`);
}

/** A Debian 13 minbase image from debootstrap, cached per day: the tarball on disk, the image in podman. */
async function baseImage() {
  if (process.env.GATEHOUSE_CONTAINER_BASE_IMAGE) {
    const image = process.env.GATEHOUSE_CONTAINER_BASE_IMAGE;
    if ((await run('podman', ['image', 'exists', image], { allowFail: true })).code !== 0) await run('podman', ['pull', image], { stream: true });
    return image;
  }
  const day = new Date().toISOString().slice(0, 10);
  const image = `localhost/gatehouse-ci-base:${SUITE}-${day}`;
  if ((await run('podman', ['image', 'exists', image], { allowFail: true })).code === 0) {
    log(`base image ${image} (cached in podman)`);
    return image;
  }
  mkdirSync(CACHE, { recursive: true });
  const tarball = join(CACHE, `debian-${SUITE}-minbase-${day}.tar`);
  if (!existsSync(tarball)) {
    const rootfs = join(CACHE, `rootfs-${SUITE}-${day}.${process.pid}.tmp`);
    cleanups.push(() => rmSync(rootfs, { recursive: true, force: true }));
    log(`debootstrap --variant=minbase ${SUITE} (first run today; cached as ${tarball})`);
    await run('debootstrap', ['--variant=minbase', SUITE, rootfs, MIRROR], { timeoutMs: 900_000 });
    rmSync(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    mkdirSync(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
    rmSync(join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
    mkdirSync(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
    await run('tar', ['--numeric-owner', '-C', rootfs, '-cf', `${tarball}.tmp`, '.']);
    renameSync(`${tarball}.tmp`, tarball);
    rmSync(rootfs, { recursive: true, force: true });
    // Keep only today's tarball.
    for (const f of readdirSync(CACHE)) if (f.startsWith(`debian-${SUITE}-minbase-`) && join(CACHE, f) !== tarball) rmSync(join(CACHE, f), { force: true });
  } else log(`base root filesystem from ${tarball} (cached)`);
  await run('podman', ['import', tarball, `${image}-raw`]);
  // A host whose TLS traffic goes through an inspecting proxy trusts its CA through
  // /usr/local/share/ca-certificates; the image build (npm ci) needs the same trust. The Dockerfile's
  // ca-certificates install adds these files to the bundle npm and Node.js read.
  const cas = existsSync(LOCAL_CAS) ? readdirSync(LOCAL_CAS).filter((f) => f.endsWith('.crt')) : [];
  const ctx = mkdtempSync(join(tmpdir(), 'gatehouse-ct-base-'));
  cleanups.push(() => rmSync(ctx, { recursive: true, force: true }));
  mkdirSync(join(ctx, 'cas'));
  writeFileSync(join(ctx, 'cas', 'README'), 'CA certificates of the host that built this base (update-ca-certificates reads only *.crt).\n');
  for (const f of cas) writeFileSync(join(ctx, 'cas', f), readFileSync(join(LOCAL_CAS, f)));
  writeFileSync(join(ctx, 'Containerfile'), `FROM ${image}-raw\nCOPY cas/ /usr/local/share/ca-certificates/\n`);
  if (cas.length) log(`  adding this host's local CA certificates to the base: ${cas.join(', ')}`);
  await run('podman', ['build', '-f', join(ctx, 'Containerfile'), '-t', image, ctx]);
  await run('podman', ['rmi', `${image}-raw`], { allowFail: true });
  // Bases of earlier days: untag them (their layers go once no built image uses them).
  const old = (await run('podman', ['images', '--format', '{{.Repository}}:{{.Tag}}', 'localhost/gatehouse-ci-base'], { allowFail: true })).out
    .split('\n')
    .filter((t) => t && t !== image && !t.endsWith('-raw'));
  for (const t of old) await run('podman', ['untag', t], { allowFail: true });
  return image;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(podman, base, seconds) {
  const started0 = Date.now();
  const until = Math.min(deadline, started0 + seconds * 1000);
  let last = '';
  while (Date.now() < until) {
    const state = (await run('podman', [...podman, 'inspect', '--format', '{{.State.Status}}', name], { allowFail: true })).out.trim();
    if (state && state !== 'running' && state !== 'created') {
      const logs = await run('podman', [...podman, 'logs', name], { allowFail: true });
      fail(`the container stopped (${state}) before it was ready:\n${logs.out}${logs.err}`);
    }
    try {
      const r = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(2000) });
      last = `${r.status} ${await r.text()}`;
      if (r.status === 200) return;
    } catch (e) {
      last = e.cause?.code ?? e.message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const logs = await run('podman', [...podman, 'logs', name], { allowFail: true });
  fail(`not ready within ${secs(Date.now() - started0)} (last: ${last})\n${logs.out}${logs.err}`);
}

async function main() {
  log(`deadline ${secs(deadline - started)}; container ${name}`);
  const skip = await step('podman, debootstrap and runc are installed', ensureTools);
  if (skip) {
    if (required) fail(`cannot run the container test: ${skip}`);
    log(`SKIPPED: ${skip} (set CI=true to make this a failure)`);
    return;
  }
  const baseImg = await step('Debian 13 base image', baseImage);
  const profile = await step('podman runtime options that work on this host', () => podmanProfile(baseImg));
  const podman = profile.global;
  log(`podman options: ${podman.join(' ') || '(defaults)'} ${profile.ulimits.join(' ')}`);

  // An interrupted podman build leaves one buildah working container per step: remove the ones
  // that appeared during this build when it does not finish.
  const builders = () =>
    has('buildah') ? spawnSync('buildah', ['containers', '-q', '--notruncate'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean) : [];
  const before = new Set(builders());
  let built = false;
  cleanups.push(() => {
    if (!built) for (const id of builders().filter((b) => !before.has(b))) spawnSync('buildah', ['rm', id], { stdio: 'ignore' });
  });
  await step(`build deploy/Dockerfile (BASE_IMAGE=${baseImg})`, () =>
    run(
      'podman',
      [
        ...podman,
        'build',
        '--force-rm', // no intermediate container left behind, even when a step fails
        '--format',
        'docker', // keeps HEALTHCHECK (the OCI image format has no field for it)
        '--network',
        'host',
        ...profile.ulimits,
        '--build-arg',
        `BASE_IMAGE=${baseImg}`,
        '--build-arg',
        `REVISION=${spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim() || 'unknown'}`,
        '-f',
        'deploy/Dockerfile',
        '-t',
        IMAGE,
        '.',
      ],
      { stream: true },
    ),
  );
  built = true;

  const inspect = JSON.parse((await run('podman', [...podman, 'image', 'inspect', IMAGE])).out)[0];
  await step('image: non-root user, a healthcheck, OCI labels, no build tools', async () => {
    const cfg = inspect.Config ?? {};
    if (!/^\d+/.test(cfg.User ?? '') || cfg.User.startsWith('0')) fail(`image USER is ${JSON.stringify(cfg.User)}, expected a fixed non-root uid`);
    if (!inspect.Healthcheck && !cfg.Healthcheck) fail('image has no HEALTHCHECK');
    if (!cfg.Labels?.['org.opencontainers.image.title']) fail('image has no OCI labels');
    const tools = await run(
      'podman',
      [
        ...podman,
        'run',
        '--rm',
        '--network',
        'none',
        ...profile.ulimits,
        '--entrypoint',
        'sh',
        IMAGE,
        '-c',
        'for t in gcc g++ cc make python3 npm; do command -v $t; done; node --version',
      ],
      {
        allowFail: true,
      },
    );
    const found = tools.out
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('/'));
    if (found.length) fail(`build tools in the final image: ${found.join(', ')}`);
    const [maj, min] = (tools.out.match(/v(\d+)\.(\d+)/) ?? []).slice(1).map(Number);
    if (!(maj > 20 || (maj === 20 && min >= 19))) fail(`node in the image is ${tools.out.trim()}, package.json needs >= 20.19`);
    log(`  user ${cfg.User}, node ${tools.out.trim().split('\n').pop()}, size ${(inspect.Size / 1e6).toFixed(0)} MB`);
  });

  // Secrets and data: the KEK as a read-only file, the data directory a host directory for the uid.
  const work = mkdtempSync(join(tmpdir(), 'gatehouse-ct-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const data = join(work, 'data');
  mkdirSync(data);
  chownSync(data, UID, UID);
  const kekFile = join(work, 'kek');
  writeFileSync(kekFile, `${randomBytes(32).toString('base64')}\n`);
  chownSync(kekFile, UID, UID);
  chmodSync(kekFile, 0o400);
  const adminPasswordFile = join(work, 'admin-password');
  writeFileSync(adminPasswordFile, `${randomBytes(18).toString('base64url')}\n`);
  chownSync(adminPasswordFile, UID, UID);
  chmodSync(adminPasswordFile, 0o400);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;

  await step(`run read-only as uid ${UID}, KEK from a file, on ${base}`, async () => {
    cleanups.push(() => {
      if (process.env.GATEHOUSE_CONTAINER_KEEP === '1') return log(`kept container ${name}`);
      spawnSync('podman', [...podman, 'rm', '-f', '-t', '2', name], { stdio: 'ignore' });
    });
    await run('podman', [
      ...podman,
      'run',
      '-d',
      '--name',
      name,
      '--read-only',
      '--read-only-tmpfs=false', // not even /tmp: the server must need no writable path but the data volume
      '--user',
      `${UID}:${UID}`,
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '--network',
      'host',
      ...profile.ulimits,
      '-v',
      `${data}:/var/lib/gatehouse:rw`,
      '-v',
      `${kekFile}:/run/secrets/gatehouse_kek:ro`,
      '-v',
      `${adminPasswordFile}:/run/secrets/gatehouse/admin-password:ro`,
      '-e',
      'GATEHOUSE_KEK_FILE=/run/secrets/gatehouse_kek',
      '-e',
      `GATEHOUSE_ISSUER=${base}`,
      '-e',
      `GATEHOUSE_PORT=${port}`,
      '-e',
      'GATEHOUSE_HOST=127.0.0.1',
      IMAGE,
    ]);
  });

  await step('becomes ready (GET /ready = 200)', () => waitReady(podman, base, 90));

  await step('runs as non-root, with a read-only root filesystem and only the data directory writable', async () => {
    const id = (await run('podman', [...podman, 'exec', name, 'id', '-u'])).out.trim();
    if (id === '0' || id !== String(UID)) fail(`id -u inside the container is ${id}, expected ${UID}`);
    const probe = (path) =>
      run(
        'podman',
        [
          ...podman,
          'exec',
          name,
          'node',
          '-e',
          `try{require('fs').writeFileSync(${JSON.stringify(path)},'x');console.log('written')}catch(e){console.log(e.code)}`,
        ],
        {},
      ).then((r) => r.out.trim());
    for (const path of ['/opt/gatehouse/probe', '/tmp/probe', '/etc/probe', '/probe']) {
      const r = await probe(path);
      if (r !== 'EROFS') fail(`writing ${path} gave ${r}, expected EROFS (read-only root filesystem)`);
    }
    if ((await probe('/var/lib/gatehouse/probe')) !== 'written') fail('the data directory is not writable');
    const files = readdirSync(join(data, 'data'));
    if (!files.includes('gatehouse.db')) fail(`the SQLite database is not in the data volume (found: ${files.join(', ')})`);
    log(`  id -u = ${id}; root, /tmp, /etc, /opt: EROFS; data volume holds ${files.join(', ')}`);
    const health = await run('podman', [...podman, 'healthcheck', 'run', name], { allowFail: true });
    if (health.code !== 0) fail(`the image HEALTHCHECK fails: ${health.err || health.out}`);
    log('  HEALTHCHECK passes');
  });

  const client = await step('gatehouse clients create (podman exec)', async () => {
    const r = await run('podman', [
      ...podman,
      'exec',
      name,
      'gatehouse',
      'clients',
      'create',
      '--name',
      'Container test',
      '--grant-types',
      'client_credentials',
      '--scopes',
      'ct:read',
      '--token-endpoint-auth-method',
      'client_secret_basic',
      '--json',
    ]);
    const c = JSON.parse(r.out);
    if (!c.client_id || !c.client_secret) fail(`clients create printed no client_id/client_secret: ${r.out}`);
    return c;
  });

  await step('client_credentials token over HTTP, verified against the JWKS', async () => {
    const meta = await (await fetch(`${base}/.well-known/openid-configuration`)).json();
    if (meta.issuer !== base) fail(`discovery issuer ${meta.issuer}, expected ${base}`);
    const res = await fetch(meta.token_endpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'ct:read' }),
    });
    const body = await res.json();
    if (res.status !== 200 || !body.access_token) fail(`token endpoint answered ${res.status}: ${JSON.stringify(body)}`);
    const { payload, protectedHeader } = await jwtVerify(body.access_token, createRemoteJWKSet(new URL(meta.jwks_uri)), { issuer: base });
    if (payload.client_id !== client.client_id) fail(`token client_id ${payload.client_id}, expected ${client.client_id}`);
    log(`  ${protectedHeader.alg} access token for ${payload.client_id}, scope "${payload.scope}", verified with kid ${protectedHeader.kid}`);
  });

  await step('the Kubernetes bootstrap-admin Job command creates the first admin once (deploy/kustomize/base)', async () => {
    const job = parseYaml(readFileSync(join(root, 'deploy/kustomize/base/bootstrap-admin-job.yaml'), 'utf8'));
    const c = job.spec.template.spec.containers[0];
    const cmd = [...c.command, ...c.args];
    const first = await run('podman', [...podman, 'exec', name, ...cmd]);
    if (first.out.includes('admin exists')) fail(`the first run found an admin already: ${first.out}`);
    const shown = JSON.parse((await run('podman', [...podman, 'exec', name, 'gatehouse', 'users', 'show', 'admin', '--json'])).out);
    if (shown.username !== 'admin' || !JSON.stringify(shown.roles).includes('admin')) fail(`users show admin: ${JSON.stringify(shown)}`);
    const again = await run('podman', [...podman, 'exec', name, ...cmd]);
    if (!again.out.includes('admin exists')) fail(`the second run did not see the admin: ${again.out}${again.err}`);
    log(`  ${c.command.join(' ')} … ran twice: created admin (roles ${JSON.stringify(shown.roles)}), then "admin exists"`);
  });

  await step('stops on SIGTERM within the grace period', async () => {
    const r = await run('podman', [...podman, 'stop', '-t', '15', name]);
    const code = (await run('podman', [...podman, 'inspect', '--format', '{{.State.ExitCode}}', name])).out.trim();
    if (code !== '0') fail(`exit code after SIGTERM is ${code}, expected 0 (${r.err})`);
  });
  log(`PASSED in ${secs(Date.now() - started)}`);
}

let exitCode = 0;
try {
  await main();
} catch (e) {
  exitCode = 1;
  console.error(`[test:container] FAILED: ${e instanceof Fail ? e.message : (e.stack ?? e)}`);
} finally {
  const waitUntil = Date.now() + 20_000;
  while (children.size && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 200));
  for (const c of cleanups.reverse()) {
    try {
      c();
    } catch {
      /* best effort */
    }
  }
}
process.exit(exitCode);
