import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { EVENT_CATALOGUE, EVENT_NAMES } from '../../src/core/event-catalogue.ts';
import { documentedEvents, readEventMap } from '../../scripts/events-doc.ts';

const doc = await readFile(new URL('../../docs/events.md', import.meta.url), 'utf8');
const source = readEventMap();
const documented = documentedEvents(doc);

test('docs/events.md lists every event of EventMap, and every event it lists exists', () => {
  const names = source.map((e) => e.name);
  assert.ok(names.length > 30, `EventMap parsed: ${names.length} events`);
  assert.deepEqual(
    names.filter((n) => !documented.has(n)),
    [],
    'events missing from docs/events.md (run npm run docs:events)',
  );
  assert.deepEqual(
    [...documented.keys()].filter((n) => !names.includes(n)),
    [],
    'documented events that are not in EventMap',
  );
});

test('docs/events.md gives each event exactly its payload fields, its CloudEvents type and its subject', () => {
  for (const e of source) {
    const row = documented.get(e.name);
    if (!row) continue; // reported by the test above
    assert.deepEqual(row.fields, e.fields, `${e.name}: payload fields differ from EventMap (run npm run docs:events)`);
    assert.equal(row.type, `gatehouse.${e.name}`, e.name);
    const spec = EVENT_CATALOGUE[e.name as keyof typeof EVENT_CATALOGUE] as { subject?: string };
    assert.equal(row.subject, spec.subject ?? '—', `${e.name}: subject`);
  }
});

test('the runtime catalogue (envelope rules) and the EventMap source name the same events in the same order', () => {
  assert.deepEqual(
    EVENT_NAMES,
    source.map((e) => e.name),
  );
});

test('every event says when it is published (a TSDoc comment on its EventMap member)', () => {
  assert.deepEqual(
    source.filter((e) => !e.when).map((e) => e.name),
    [],
  );
});
