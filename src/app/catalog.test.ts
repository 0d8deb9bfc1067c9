import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { z } from 'zod';
import { ADMIN, appWorld, rejectsWith, VIEWER } from '../../test/support/app-world.ts';
import { allUseCases } from './index.ts';

test('S18 every use case input schema converts to JSON Schema (the admin API publishes the same schema)', () => {
  for (const uc of allUseCases()) {
    const schema = z.toJSONSchema(uc.input, { io: 'input' }) as { type?: string; additionalProperties?: unknown };
    assert.equal(schema.type, 'object', uc.name);
    assert.equal(schema.additionalProperties, false, `${uc.name} refuses unknown members`);
  }
});

test('S9 use cases are named <aggregate>.<verb>, once each, and reads emit no event', () => {
  const names = allUseCases().map((u) => u.name);
  assert.equal(new Set(names).size, names.length);
  for (const uc of allUseCases()) {
    assert.match(uc.name, /^(clients|users|grants|sessions|consents|keys|device_codes|kek|audit)\.[a-z_]+$/);
    if (/\.(show|list|verify|head)$/.test(uc.name)) assert.deepEqual([uc.event, uc.role], [null, 'viewer'], uc.name);
    else assert.notEqual(uc.event, null, uc.name);
  }
});

test('docs/operations.md states the role of every use case, as the code does', async () => {
  const doc = await readFile(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  for (const uc of allUseCases()) assert.match(doc, new RegExp(`\\| \`${uc.name.replace('.', '\\.')}\` \\| ${uc.role} \\|`), uc.name);
});

test('application.run dispatches by catalogue name with the same role check and validation', async () => {
  const w = await appWorld();
  assert.deepEqual(
    w.app.catalog.map((u) => u.name),
    allUseCases().map((u) => u.name),
  );
  const created = (await w.app.run('users.create', ADMIN, { username: 'alice', password: 'correct horse battery' })) as { username: string };
  assert.equal(created.username, 'alice');
  assert.equal(((await w.app.run('users.list', VIEWER, {})) as { items: unknown[] }).items.length, 1);
  await rejectsWith(w.app.run('users.delete', VIEWER, { user: 'alice' }), 'GH_FORBIDDEN');
  await rejectsWith(w.app.run('users.show', VIEWER, { user: 'alice', extra: 1 }), 'GH_INVALID_INPUT', /Unrecognized key/);
  await rejectsWith(w.app.run('users.drop', ADMIN, {}), 'GH_NOT_FOUND', /no operation "users\.drop"/);
});
