/**
 * `gatehouse/resource-server` as another program imports it: package.json "exports" maps the
 * subpath to the build output (and, under the `gatehouse-source` condition, to the TypeScript
 * source). The kit is compiled alone, the way `npm run build` compiles it (tsconfig.build.json's
 * rootDir/outDir), into a throwaway package named `gatehouse`, and imported there by the
 * package name (Node's self-reference): it loads, and what it compiled is only the kit and pure
 * core helpers — nothing of storage, http or the composition root.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  return out.sort();
}

test('package.json "exports": gatehouse/resource-server resolves to the build output of src/resource-server-kit/mod.ts and the source under gatehouse-source', async () => {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const entry = pkg.exports['./resource-server'];
  assert.equal(entry['gatehouse-source'], './src/resource-server-kit/mod.ts');
  // tsconfig.build.json: rootDir src, outDir dist, .ts → .js.
  assert.equal(entry.default, './dist/resource-server-kit/mod.js');
  // TypeScript users get the declarations `npm run build` emits beside it (tsconfig.build.json: declaration).
  assert.equal(entry.types, './dist/resource-server-kit/mod.d.ts');
  assert.ok(Object.keys(entry).indexOf('types') < Object.keys(entry).indexOf('default'), '"types" comes before "default" (conditions match in order)');
  const build = JSON.parse(await readFile(join(root, 'tsconfig.build.json'), 'utf8'));
  assert.equal(build.compilerOptions.declaration, true);
  assert.equal(pkg.bin.gatehouse, './bin/gatehouse.js', 'the CLI entry is kept');
  // The source condition, by the package name from inside this package (self-reference).
  const { stdout } = await run(
    process.execPath,
    [
      '--conditions=gatehouse-source',
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "const m = await import('gatehouse/resource-server'); console.log(Object.keys(m).sort().join(' '))",
    ],
    { cwd: root },
  );
  for (const name of [
    'createResourceServer',
    'gatehouseResourceServer',
    'errorResponse',
    'ResourceServerError',
    'memoryReplayCache',
    'requireScopesMiddleware',
  ]) {
    assert.ok(stdout.split(/\s+/).includes(name), `${name} exported`);
  }
});

test('the built kit imports by package name and compiles to the kit and pure core helpers only', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-kit-'));
  try {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'gatehouse', type: 'module', exports: pkg.exports }));
    await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    // The compiler options of tsconfig.json / tsconfig.build.json that matter for emit, on the kit's entry alone.
    await run(
      process.execPath,
      [
        tsc,
        join(root, 'src/resource-server-kit/mod.ts'),
        '--rootDir',
        join(root, 'src'),
        '--outDir',
        join(dir, 'dist'),
        '--module',
        'NodeNext',
        '--moduleResolution',
        'NodeNext',
        '--target',
        'ES2023',
        '--types',
        'node',
        '--strict',
        '--skipLibCheck',
        '--rewriteRelativeImportExtensions',
        '--allowImportingTsExtensions',
        'false',
        '--verbatimModuleSyntax',
        '--declaration',
      ],
      { cwd: root },
    );
    const all = await filesUnder(join(dir, 'dist'));
    assert.ok(all.includes('resource-server-kit/mod.d.ts'), 'declarations emitted');
    const emitted = all.filter((f) => f.endsWith('.js'));
    assert.ok(emitted.includes('resource-server-kit/mod.js'));
    for (const f of emitted)
      assert.match(f, /^(resource-server-kit\/|core\/(dpop|model|ports)\/|core\/(crypto|errors|www-authenticate)\.js$)/, `${f} is outside the kit's closure`);
    await writeFile(
      join(dir, 'check.mjs'),
      `import { createResourceServer, gatehouseResourceServer } from 'gatehouse/resource-server';
const rs = createResourceServer({ issuer: 'https://as.example', resource: 'https://api.example/v1', verification: { kind: 'jwt' } });
const res = await rs.authenticate(new Request('https://api.example/v1/x')).catch((e) => e.toResponse());
console.log(JSON.stringify({ plugin: typeof gatehouseResourceServer, status: res.status, challenge: res.headers.get('www-authenticate'), meta: rs.metadataUrl }));`,
    );
    const { stdout } = await run(process.execPath, [join(dir, 'check.mjs')], { cwd: dir });
    assert.deepEqual(JSON.parse(stdout), {
      plugin: 'function',
      status: 401,
      challenge: 'Bearer resource_metadata="https://api.example/.well-known/oauth-protected-resource/v1"',
      meta: 'https://api.example/.well-known/oauth-protected-resource/v1',
    });
    // A TypeScript program of the server author's, type-checked against the emitted declarations
    // through "exports" → "types" (strict, NodeNext, no skipLibCheck): correct use compiles, and a
    // misuse (an unknown verification kind, a misspelt claim) is a compile error.
    const consumer = `import { createResourceServer, type VerifiedToken } from 'gatehouse/resource-server';
const rs = createResourceServer({ issuer: 'https://as.example', resource: 'https://api.example/v1', scopesSupported: ['read'], verification: { kind: 'jwt' } });
export async function caller(request: Request): Promise<string> {
  const token: VerifiedToken = await rs.authenticate(request);
  return token.clientId + token.scopes.join(' ');
}
`;
    const typecheck = (file: string) =>
      run(
        process.execPath,
        [tsc, '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2023', '--types', 'node', file],
        {
          cwd: dir,
        },
      ).then(
        () => '',
        (e: { stdout: string }) => e.stdout,
      );
    await writeFile(join(dir, 'good.ts'), consumer);
    assert.equal(await typecheck('good.ts'), '', 'correct use type-checks');
    await writeFile(
      join(dir, 'bad.ts'),
      `${consumer}createResourceServer({ issuer: 'x', resource: 'y', verification: { kind: 'nope' } });\nexport const c = (t: VerifiedToken) => t.clientIdd;\n`,
    );
    const errors = await typecheck('bad.ts');
    assert.match(errors, /bad\.ts\(7,[0-9]+\): error TS2322/, errors);
    assert.match(errors, /bad\.ts\(8,[0-9]+\): error TS2551: Property 'clientIdd' does not exist on type 'VerifiedToken'/, errors);

    // The Fastify plugin from a consumer: its options, the `requireScopes` decorator and
    // `request.gatehouseToken` come from the emitted declarations (fastify.d.ts's `declare module
    // 'fastify'` augmentation), with DPoP nonces on.
    const plugin = `import Fastify from 'fastify';
import { gatehouseResourceServer, type VerifiedToken } from 'gatehouse/resource-server';
const app = Fastify();
await app.register(gatehouseResourceServer, {
  issuer: 'https://as.example',
  resource: 'https://api.example/v1',
  scopesSupported: ['read'],
  verification: { kind: 'jwt' },
  dpop: { nonce: { secret: 'the nonce secret of the orders API, 32+ bytes', windowSeconds: 60 } },
});
app.get('/v1/orders', { preHandler: app.requireScopes(['read']) }, async (request) => {
  const token: VerifiedToken | undefined = request.gatehouseToken;
  return { sub: token?.subject, nonce: token?.dpopNonce, scopes: token?.scopes.join(' ') };
});
`;
    await writeFile(join(dir, 'plugin-good.ts'), plugin);
    assert.equal(await typecheck('plugin-good.ts'), '', 'the plugin, correctly used, type-checks');
    const misuse = [
      "app.get('/a', { preHandler: app.requireScopes('read') }, async () => 'scopes are a list');",
      "app.get('/b', async (request) => request.gatehouseToken.subject);",
      "await app.register(gatehouseResourceServer, { issuer: 'https://as.example', resource: 'https://api.example/v1' });",
      "await app.register(gatehouseResourceServer, { issuer: 'https://as.example', resource: 'https://api.example/v1', verification: { kind: 'jwt' }, dpop: { nonce: { windowSeconds: 60 } } });",
    ];
    await writeFile(join(dir, 'plugin-bad.ts'), `${plugin}${misuse.join('\n')}\n`);
    const pluginErrors = await typecheck('plugin-bad.ts');
    const line = (i: number) => plugin.split('\n').length + i;
    assert.match(pluginErrors, new RegExp(`plugin-bad\\.ts\\(${line(0)},[0-9]+\\): error TS2345: Argument of type 'string' is not assignable`), pluginErrors);
    assert.match(
      pluginErrors,
      new RegExp(`plugin-bad\\.ts\\(${line(1)},[0-9]+\\): error TS18048: 'request.gatehouseToken' is possibly 'undefined'`),
      pluginErrors,
    );
    assert.match(pluginErrors, new RegExp(`plugin-bad\\.ts\\(${line(2)},[0-9]+\\): error TS2769`), pluginErrors);
    assert.match(pluginErrors, new RegExp(`plugin-bad\\.ts\\(${line(3)},[0-9]+\\): error TS2769`), pluginErrors);
    assert.equal(pluginErrors.match(/error TS/g)?.length, misuse.length, pluginErrors);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
