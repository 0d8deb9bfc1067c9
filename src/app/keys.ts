import { z } from 'zod';
import { GatehouseError } from '../core/errors.ts';
import { SIGNING_ALGS } from '../core/model/key.ts';
import { actorRef } from './actor.ts';
import { decodeCursor, encodeCursor, listFields, type ListResult } from './paging.ts';
import { defineUseCase } from './use-case.ts';
import { keyViews, type KeyView } from './views.ts';

export const listKeysUseCase = defineUseCase({
  name: 'keys.list',
  summary: 'Signing keys: kid, algorithm, status, lifecycle times, whether in the JWKS; never key material',
  role: 'viewer',
  input: z.strictObject(listFields(['created_at', 'kid'], 'created_at')),
  event: null,
  handle: async (ctx, input): Promise<ListResult<KeyView>> => {
    await ctx.deps.keys.load();
    // A handful of keys per algorithm: paged in memory with the same cursor rules as the stores.
    const key = (k: KeyView) => (input.sort === 'kid' ? k.kid : k.created_at);
    const dir = input.order === 'asc' ? 1 : -1;
    const cmp = (a: KeyView, ka: string | number, b: { k: string | number; id: string }) =>
      (ka < b.k ? -1 : ka > b.k ? 1 : a.kid < b.id ? -1 : a.kid > b.id ? 1 : 0) * dir;
    const after = input.cursor === undefined ? null : decodeCursor(input.cursor, input.sort === 'kid' ? 'string' : 'number');
    const all = keyViews(ctx.deps.keys.list(), ctx.deps.keys.jwks())
      .filter((k) => input.q === undefined || k.kid.startsWith(input.q))
      .sort((a, b) => cmp(a, key(a), { k: key(b), id: b.kid }))
      .filter((k) => after === null || cmp(k, key(k), after) > 0);
    const items = all.slice(0, input.limit);
    const last = items[items.length - 1];
    return { items, next_cursor: all.length > input.limit && last ? encodeCursor({ k: key(last), id: last.kid }) : null };
  },
});

export const rotateKeysUseCase = defineUseCase({
  name: 'keys.rotate',
  summary: "Promote each algorithm's next key to active, retire the active one (kept in the JWKS for keys.gracePeriod)",
  role: 'admin',
  input: z.strictObject({ algs: z.array(z.enum(SIGNING_ALGS)).min(1).max(SIGNING_ALGS.length).optional() }),
  event: 'key.rotated',
  // The KeyManager writes the key store and reloads in its own transaction.
  transactional: false,
  handle: async (ctx, input) => {
    const configured = ctx.deps.config.keys.algorithms;
    const unknown = (input.algs ?? []).filter((a) => !configured.includes(a));
    if (unknown.length) throw new GatehouseError('GH_INVALID_INPUT', `algs: ${unknown.join(', ')} not in keys.algorithms (${configured.join(', ')})`);
    const algs = input.algs ? [...new Set(input.algs)] : [...configured];
    // A store that never saw a server start gets its first keys; the rotation then follows.
    await ctx.deps.keys.init();
    await ctx.deps.keys.rotate(algs, actorRef(ctx.actor));
    return { rotated: algs, keys: keyViews(ctx.deps.keys.list(), ctx.deps.keys.jwks()) };
  },
});

export const keyUseCases = { list: listKeysUseCase, rotate: rotateKeysUseCase } as const;
