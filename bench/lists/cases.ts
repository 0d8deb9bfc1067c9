// What the list-paging benchmark measures: the operator lists an admin screen calls, at depth.
import type { Cursor, ListQuery } from '../../src/core/ports/list.ts';
import type { Storage } from '../../src/core/ports/storage.ts';
import { nameKey } from '../../src/storage/list-options.ts';
import { HEAVY_USER, T0, TENANT, type Dataset } from './seed.ts';

export interface BenchCase {
  readonly name: string;
  /** Runs the call once; returns how many items it got (0 means the case is broken). */
  run(storage: Storage): Promise<number>;
}

const LIMIT = 50;
const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

/** The cursor of the row at `index` in (k, id) order (where "after the 90,000th row" starts). */
function cursorAt<T>(rows: readonly T[], key: (r: T) => Cursor, order: 'asc' | 'desc', index: number): Cursor {
  const sorted = rows.map(key).sort((a, b) => cmp(a.k, b.k) || cmp(a.id, b.id));
  if (order === 'desc') sorted.reverse();
  return sorted[Math.min(index, sorted.length - 1)]!;
}

export function benchCases(data: Dataset): BenchCase[] {
  const deep = Math.floor(data.clients.length * 0.9) - 1;
  const q = <S extends string>(sort: S, over: Partial<ListQuery<S>> = {}): ListQuery<S> => ({ limit: LIMIT, sort, order: 'asc', ...over });
  const nameAfter = cursorAt(data.clients, (c) => ({ k: nameKey(c.clientName), id: c.clientId }), 'asc', deep);
  const createdAfter = cursorAt(data.clients, (c) => ({ k: c.createdAt, id: c.clientId }), 'desc', deep);
  const userAfter = cursorAt(data.users, (u) => ({ k: u.createdAt, id: u.id }), 'asc', deep);
  const usernameAfter = cursorAt(data.users, (u) => ({ k: u.username, id: u.id }), 'desc', deep);
  const at = T0;
  return [
    { name: 'clients: first page by name', run: async (s) => (await s.clients.page(TENANT, q('client_name'))).items.length },
    { name: 'clients: page after row 90% by name', run: async (s) => (await s.clients.page(TENANT, q('client_name', { after: nameAfter }))).items.length },
    {
      name: 'clients: page after row 90% by created_at desc',
      run: async (s) => (await s.clients.page(TENANT, q('created_at', { order: 'desc', after: createdAfter }))).items.length,
    },
    { name: 'clients: id prefix search', run: async (s) => (await s.clients.page(TENANT, q('client_id', { q: 'client-0900' }))).items.length },
    { name: 'clients: name prefix search', run: async (s) => (await s.clients.page(TENANT, q('client_name', { q: 'Golf Kilo' }))).items.length },
    { name: 'users: first page by username', run: async (s) => (await s.users.page(TENANT, q('username'))).items.length },
    {
      name: 'users: page after row 90% by username desc',
      run: async (s) => (await s.users.page(TENANT, q('username', { order: 'desc', after: usernameAfter }))).items.length,
    },
    { name: 'users: page after row 90% by created_at', run: async (s) => (await s.users.page(TENANT, q('created_at', { after: userAfter }))).items.length },
    { name: 'users: username prefix search', run: async (s) => (await s.users.page(TENANT, q('username', { q: 'KILO.09' }))).items.length },
    {
      name: 'grants: by user (50 grants)',
      run: async (s) => (await s.grants.listGrants(TENANT, { userId: HEAVY_USER }, q('issued_at', { order: 'desc' }), at)).items.length,
    },
    {
      name: 'grants: by client (first page of ~500)',
      run: async (s) => (await s.grants.listGrants(TENANT, { clientId: 'client-000001' }, q('issued_at'), at)).items.length,
    },
  ];
}
