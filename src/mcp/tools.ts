import { z } from 'zod';
import type { UseCaseInfo } from '../app/index.ts';

/** What MCP says about a tool's behaviour (MCP 2025-06-18 "Tool annotations"); hints, not guarantees. */
export interface ToolAnnotations {
  readonly title: string;
  readonly readOnlyHint: boolean;
  readonly destructiveHint: boolean;
  readonly idempotentHint: boolean;
  readonly openWorldHint: boolean;
}

/** One MCP tool, generated from one application use case. */
export interface AdminTool {
  /** `clients_create` for `clients.create`: letters, digits and `_`, which every MCP client accepts. */
  readonly name: string;
  /** The catalogue name `application.run` dispatches on. */
  readonly useCase: string;
  readonly description: string;
  readonly inputSchema: Readonly<Record<string, unknown>>;
  readonly outputSchema: Readonly<Record<string, unknown>>;
  readonly annotations: ToolAnnotations;
}

/**
 * Verbs that take something away (a client, a token, a session, a key's active status, audit
 * records). A verb in neither list (a new use case) gets the MCP defaults, which assume the
 * worst: destructive, not idempotent.
 */
const DESTRUCTIVE = new Set([
  'delete',
  'disable',
  'deny',
  'revoke',
  'revoke_for_user',
  'revoke_for_client',
  'end',
  'end_all',
  'rotate',
  'rotate_secret',
  'purge',
]);
/** Verbs that add or change without taking away. */
const ADDITIVE = new Set(['create', 'update', 'enable', 'unlock', 'set_password']);
/** Verbs whose second identical call changes something again (a new client, secret, key, checkpoint). */
const NOT_IDEMPOTENT = new Set(['create', 'rotate', 'rotate_secret', 'purge']);

/**
 * Use cases whose verb says less than they do: re-sealing under the current KEK changes no key
 * and may be repeated; an export changes nothing (it is audited, so it is not a read); an import
 * in upsert mode overwrites what is there, and importing the same document twice changes nothing
 * the second time.
 */
const BY_NAME: Readonly<Record<string, { destructive: boolean; idempotent: boolean }>> = {
  'kek.rotate': { destructive: false, idempotent: true },
  'data.export': { destructive: false, idempotent: true },
  'data.import': { destructive: true, idempotent: true },
};

export const toolName = (useCase: string): string => useCase.replaceAll('.', '_');

/** The annotations of a use case: reads are read-only; mutations by verb (see DESTRUCTIVE). */
export function annotationsOf(uc: Pick<UseCaseInfo, 'name' | 'event'>): ToolAnnotations {
  const verb = uc.name.slice(uc.name.indexOf('.') + 1);
  const read = uc.event === null;
  const known = DESTRUCTIVE.has(verb) || ADDITIVE.has(verb);
  const named = BY_NAME[uc.name];
  return {
    title: uc.name,
    readOnlyHint: read,
    // MCP: destructiveHint and idempotentHint are "meaningful only when readOnlyHint == false";
    // they are given for reads too (false, true), so every tool states all four.
    destructiveHint: !read && (named ? named.destructive : DESTRUCTIVE.has(verb) || !known),
    idempotentHint: read || (named ? named.idempotent : known && !NOT_IDEMPOTENT.has(verb)),
    // Every tool acts on this server's own store, never on an open world of external entities.
    openWorldHint: false,
  };
}

/** JSON Schema of a list page (`{ items, next_cursor }`, src/app/paging.ts). */
const LIST_OUTPUT = {
  type: 'object',
  properties: {
    items: { type: 'array', items: { type: 'object' } },
    next_cursor: { type: ['string', 'null'], description: 'pass as `cursor` for the next page; null on the last' },
  },
  required: ['items', 'next_cursor'],
} as const;
const OBJECT_OUTPUT = { type: 'object' } as const;

/** The use case's zod input schema as JSON Schema (the admin API publishes the same). */
function inputJsonSchema(uc: UseCaseInfo): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(uc.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return schema;
}

/** One tool per use case of the catalogue, in catalogue order: a new use case is a new tool. */
export function adminTools(catalog: readonly UseCaseInfo[]): readonly AdminTool[] {
  return catalog.map((uc) => ({
    name: toolName(uc.name),
    useCase: uc.name,
    description: `${uc.summary}. Needs the ${uc.role} role.`,
    inputSchema: inputJsonSchema(uc),
    outputSchema: uc.name.endsWith('.list') ? LIST_OUTPUT : OBJECT_OUTPUT,
    annotations: annotationsOf(uc),
  }));
}

/**
 * A use case's result as MCP structured content, which must be a JSON object: objects as they
 * are, anything else (null, an array) as `{ result }`.
 */
export function structured(out: unknown): Record<string, unknown> {
  return typeof out === 'object' && out !== null && !Array.isArray(out) ? (out as Record<string, unknown>) : { result: out ?? null };
}
