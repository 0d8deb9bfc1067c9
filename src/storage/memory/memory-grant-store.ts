import type { TenantId } from '../../core/model/tenant.ts';
import type { TokenRecord } from '../../core/model/token.ts';
import type { GrantFilter, GrantStore, GrantSummary } from '../../core/ports/grant-store.ts';
import type { ListQuery, Page } from '../../core/ports/list.ts';
import { clampLimit } from '../list-options.ts';
import { pageOfSorted } from './memory-sorted-index.ts';

/** What the grant read model needs of the memory token store. */
export interface MemoryTokenTable {
  /** Stored tokens of one user or client (any state). */
  byOwner(tenantId: TenantId, filter: GrantFilter): Iterable<TokenRecord>;
  /** Sets revokedAt on every matching row, with no `await` inside; returns them as they were. */
  revokeWhere(tenantId: TenantId, filter: GrantFilter, at: number, match: (r: TokenRecord) => boolean): TokenRecord[];
}

const isLive = (r: TokenRecord, at: number) => r.revokedAt === null && r.consumedAt === null && r.expiresAt > at;

/** The live-token summary of each grant in `rows` (the same aggregate the SQL adapter computes). */
export function summarizeGrants(rows: Iterable<TokenRecord>, at: number): GrantSummary[] {
  const grants = new Map<string, { -readonly [K in keyof GrantSummary]: GrantSummary[K] } & { refreshScope: string | null }>();
  for (const r of rows) {
    if (!isLive(r, at)) continue;
    const g = grants.get(r.grantId);
    const refreshScope = r.kind === 'refresh_token' ? r.scope : null;
    if (!g) {
      grants.set(r.grantId, {
        grantId: r.grantId,
        clientId: r.clientId,
        userId: r.userId,
        scope: r.scope,
        createdAt: r.issuedAt,
        lastUsedAt: r.issuedAt,
        expiresAt: r.expiresAt,
        activeTokens: 1,
        refreshScope,
      });
      continue;
    }
    g.createdAt = Math.min(g.createdAt, r.issuedAt);
    g.lastUsedAt = Math.max(g.lastUsedAt, r.issuedAt);
    g.expiresAt = Math.max(g.expiresAt, r.expiresAt);
    g.activeTokens++;
    if (r.scope > g.scope) g.scope = r.scope;
    if (refreshScope !== null && (g.refreshScope === null || refreshScope > g.refreshScope)) g.refreshScope = refreshScope;
  }
  return [...grants.values()].map(({ refreshScope, ...g }) => ({ ...g, scope: refreshScope ?? g.scope }));
}

/** Grants over the memory token store; revocations check and write with no `await` between. */
export class MemoryGrantStore implements GrantStore {
  readonly #tokens: MemoryTokenTable;

  constructor(tokens: MemoryTokenTable) {
    this.#tokens = tokens;
  }

  async listGrants(tenantId: TenantId, filter: GrantFilter, q: ListQuery<'issued_at'>, at: number): Promise<Page<GrantSummary>> {
    const grants = summarizeGrants(this.#tokens.byOwner(tenantId, filter), at);
    const prefix = q.q === undefined || q.q === '' ? undefined : q.q;
    return pageOfSorted(grants, (g) => ({ k: g.createdAt, id: g.grantId }), { ...q, limit: clampLimit(q.limit) }, prefix);
  }

  async revokeByUser(tenantId: TenantId, userId: string, at: number): Promise<string[]> {
    return this.#revoke(tenantId, { userId }, at);
  }

  async revokeByClient(tenantId: TenantId, clientId: string, at: number): Promise<string[]> {
    return this.#revoke(tenantId, { clientId }, at);
  }

  #revoke(tenantId: TenantId, filter: GrantFilter, at: number): string[] {
    const revoked = this.#tokens.revokeWhere(tenantId, filter, at, (r) => r.revokedAt === null && r.expiresAt > at);
    return [...new Set(revoked.map((r) => r.grantId))].sort();
  }
}
