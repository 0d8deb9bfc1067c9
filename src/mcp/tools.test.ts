import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allUseCases } from '../app/index.ts';
import { useCaseInfo } from '../app/use-case.ts';
import { adminTools, annotationsOf, structured } from './tools.ts';

test('MCP Tools: every use case of the catalogue is a tool with an object input schema refusing unknown members', () => {
  const tools = adminTools(allUseCases().map(useCaseInfo));
  assert.equal(tools.length, allUseCases().length);
  for (const t of tools) {
    assert.match(t.name, /^[a-z]+_[a-z_]+$/);
    assert.equal(t.inputSchema['type'], 'object', t.name);
    assert.equal(t.inputSchema['additionalProperties'], false, t.name);
    assert.equal(t.inputSchema['$schema'], undefined);
    assert.equal(t.outputSchema['type'], 'object');
  }
});

test('MCP Tool annotations: a mutation with a verb not yet classified gets the cautious defaults (destructive, not idempotent)', () => {
  assert.deepEqual(annotationsOf({ name: 'users.merge', event: 'user.updated' }), {
    title: 'users.merge',
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: false,
  });
  assert.equal(annotationsOf({ name: 'users.enable', event: 'user.updated' }).destructiveHint, false);
  assert.equal(annotationsOf({ name: 'users.list', event: null }).readOnlyHint, true);
});

test('MCP structured content is an object: a null or an array result is wrapped as { result }', () => {
  assert.deepEqual(structured(null), { result: null });
  assert.deepEqual(structured([1]), { result: [1] });
  assert.deepEqual(structured({ a: 1 }), { a: 1 });
});

test('docs/mcp.md lists every tool with its use case and role, as the catalogue does', async () => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../docs/mcp.md', import.meta.url), 'utf8');
  const infos = allUseCases().map(useCaseInfo);
  for (const t of adminTools(infos)) {
    const role = infos.find((u) => u.name === t.useCase)!.role;
    assert.ok(doc.includes(`| \`${t.name}\` | \`${t.useCase}\` | ${role} |`), t.name);
  }
});
