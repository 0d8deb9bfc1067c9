import { GatehouseError } from '../errors.ts';
import type { UserAttributeValue } from '../model/user.ts';

/**
 * One custom attribute as `users.attributes` (config) defines it: a JSON-Schema-like subset,
 * checked at startup (src/config/claims-config.ts) and applied on every write here.
 */
export type AttributeDefinition =
  | {
      readonly type: 'string';
      readonly minLength?: number | undefined;
      readonly maxLength: number;
      readonly pattern?: string | undefined;
      readonly enum?: readonly string[] | undefined;
      readonly description?: string | undefined;
    }
  | {
      readonly type: 'integer' | 'number';
      readonly minimum?: number | undefined;
      readonly maximum?: number | undefined;
      readonly description?: string | undefined;
    }
  | { readonly type: 'boolean'; readonly description?: string | undefined };

export type AttributeDefinitions = Readonly<Record<string, AttributeDefinition>>;

/** What an operator gives: values to set, names to remove (update only). */
export interface AttributeChange {
  readonly set?: Readonly<Record<string, unknown>>;
  readonly unset?: readonly string[];
}

const invalid = (name: string, why: string) => new GatehouseError('GH_USER_INVALID', `attribute ${JSON.stringify(name.slice(0, 64))}: ${why}`);

/** Compiled once per pattern (config is frozen at boot, so the set of patterns is bounded). */
const patterns = new Map<string, RegExp>();
function compiled(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) {
    // Anchored: a pattern describes the whole value, as operators read it.
    re = new RegExp(`^(?:${pattern})$`, 'u');
    patterns.set(pattern, re);
  }
  return re;
}

/** Checks one value against its definition; returns the value to store. */
export function checkAttributeValue(name: string, def: AttributeDefinition, value: unknown): UserAttributeValue {
  switch (def.type) {
    case 'string': {
      if (typeof value !== 'string') throw invalid(name, 'must be a string');
      const n = [...value].length;
      if (n > def.maxLength) throw invalid(name, `must be at most ${def.maxLength} characters (got ${n})`);
      if (n < (def.minLength ?? 1)) throw invalid(name, `must be at least ${def.minLength ?? 1} character${(def.minLength ?? 1) === 1 ? '' : 's'}`);
      if (/\p{Cc}/u.test(value)) throw invalid(name, 'must not contain control characters');
      if (def.enum && !def.enum.includes(value)) throw invalid(name, `must be one of ${def.enum.join(', ')}`);
      if (def.pattern !== undefined && !compiled(def.pattern).test(value)) throw invalid(name, `must match the pattern ${def.pattern}`);
      return value;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(name, `must be ${def.type === 'integer' ? 'an integer' : 'a number'}`);
      if (def.type === 'integer' && !Number.isSafeInteger(value)) throw invalid(name, 'must be an integer');
      if (def.minimum !== undefined && value < def.minimum) throw invalid(name, `must be at least ${def.minimum}`);
      if (def.maximum !== undefined && value > def.maximum) throw invalid(name, `must be at most ${def.maximum}`);
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid(name, 'must be true or false');
      return value;
  }
}

/**
 * The attributes after a change: every set value checked against its definition (an undefined
 * name is refused, naming the defined ones), unset names removed. Values stored for a name no
 * longer in config are kept (never released) until unset. Throws GH_USER_INVALID naming the
 * attribute; nothing is written by the caller when it does.
 */
export function applyAttributeChange(
  defs: AttributeDefinitions,
  current: Readonly<Record<string, UserAttributeValue>>,
  change: AttributeChange,
): Record<string, UserAttributeValue> {
  const out: Record<string, UserAttributeValue> = { ...current };
  for (const name of change.unset ?? []) {
    if (change.set && Object.hasOwn(change.set, name)) throw invalid(name, 'cannot be set and unset at once');
    if (!Object.hasOwn(defs, name) && !Object.hasOwn(current, name)) throw invalid(name, unknownWhy(defs));
    delete out[name];
  }
  for (const [name, value] of Object.entries(change.set ?? {})) {
    const def = Object.hasOwn(defs, name) ? defs[name] : undefined;
    if (!def) throw invalid(name, unknownWhy(defs));
    out[name] = checkAttributeValue(name, def, value);
  }
  return out;
}

function unknownWhy(defs: AttributeDefinitions): string {
  const names = Object.keys(defs);
  return names.length
    ? `is not defined in users.attributes (defined: ${names.join(', ')})`
    : 'is not defined: no custom attributes are configured (users.attributes)';
}

/**
 * CLI `--attr name=value`: the text as the attribute's type reads it (integer, number, boolean
 * `true`/`false`; anything else stays a string, so a bad value is refused by the definition with
 * its name, not by the parser).
 */
export function attributeFromText(def: AttributeDefinition | undefined, text: string): UserAttributeValue {
  if (!def || def.type === 'string') return text;
  if (def.type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text) ? Number(text) : text;
}
