import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyAttributeChange, attributeFromText, type AttributeDefinitions } from './user-attributes.ts';

const defs: AttributeDefinitions = {
  department: { type: 'string', maxLength: 8 },
  code: { type: 'string', maxLength: 256, pattern: '[A-Z]{2}[0-9]{2}' },
  tier: { type: 'string', maxLength: 256, enum: ['gold', 'silver'] },
  level: { type: 'integer', minimum: 0, maximum: 5 },
  ratio: { type: 'number' },
  remote: { type: 'boolean' },
};

test('attribute values are checked against their definitions, each refusal naming the attribute (GH_USER_INVALID)', () => {
  assert.deepEqual(applyAttributeChange(defs, {}, { set: { department: 'Sales', code: 'AB12', tier: 'gold', level: 5, ratio: 0.5, remote: false } }), {
    department: 'Sales',
    code: 'AB12',
    tier: 'gold',
    level: 5,
    ratio: 0.5,
    remote: false,
  });
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ department: 'Engineering' }, /attribute "department": must be at most 8 characters \(got 11\)/],
    [{ department: '' }, /attribute "department": must be at least 1 character/],
    [{ department: 'a\u0000b' }, /control characters/],
    [{ department: 7 }, /attribute "department": must be a string/],
    [{ code: 'AB12x' }, /attribute "code": must match the pattern/],
    [{ tier: 'bronze' }, /must be one of gold, silver/],
    [{ level: 6 }, /attribute "level": must be at most 5/],
    [{ level: 1.5 }, /must be an integer/],
    [{ ratio: Number.NaN }, /must be a number/],
    [{ remote: 'yes' }, /must be true or false/],
    [{ shoe_size: 44 }, /attribute "shoe_size": is not defined in users.attributes \(defined: department, code, tier, level, ratio, remote\)/],
  ];
  for (const [set, re] of cases) {
    assert.throws(
      () => applyAttributeChange(defs, {}, { set }),
      (e: Error & { code?: string }) => e.code === 'GH_USER_INVALID' && re.test(e.message),
      JSON.stringify(set),
    );
  }
  assert.throws(() => applyAttributeChange({}, {}, { set: { a: 1 } }), /no custom attributes are configured/);
});

test('unset removes a value, even of an attribute no longer defined; set and unset of one name at once is refused', () => {
  assert.deepEqual(applyAttributeChange(defs, { department: 'Sales', old: 'x' }, { unset: ['old', 'department'] }), {});
  assert.throws(() => applyAttributeChange(defs, {}, { set: { level: 1 }, unset: ['level'] }), /cannot be set and unset at once/);
  assert.throws(() => applyAttributeChange(defs, {}, { unset: ['nope'] }), /not defined/);
});

test('CLI text is read as the attribute type; what does not parse stays text for the definition to refuse', () => {
  assert.equal(attributeFromText(defs['level'], '3'), 3);
  assert.equal(attributeFromText(defs['level'], 'high'), 'high');
  assert.equal(attributeFromText(defs['remote'], 'true'), true);
  assert.equal(attributeFromText(defs['department'], '42'), '42');
  assert.equal(attributeFromText(undefined, '42'), '42');
});
