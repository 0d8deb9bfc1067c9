import { z } from 'zod';
import { GatehouseError } from '../core/errors.ts';
import type { GrantFilter } from '../core/ports/index.ts';
import { denylistGrants, revokeOneGrant } from './grant-ops.ts';
import { listFields, toListQuery, toListResult } from './paging.ts';
import { defineUseCase } from './use-case.ts';
import { mustFindUser, userRef } from './users.ts';
import { grantView } from './views.ts';

const clientId = z.string().min(1).max(255);

export const listGrantsUseCase = defineUseCase({
  name: 'grants.list',
  summary: 'Grants (live stored tokens grouped by authorization) of a user or of a client; q is a grant id prefix',
  role: 'viewer',
  input: z
    .strictObject({ user: userRef.optional(), client_id: clientId.optional(), ...listFields(['issued_at'], 'issued_at') })
    .refine((v) => (v.user === undefined) !== (v.client_id === undefined), 'give exactly one of user and client_id'),
  event: null,
  handle: async (ctx, input) => {
    const { deps } = ctx;
    let filter: GrantFilter;
    if (input.user !== undefined) {
      filter = { userId: (await mustFindUser(ctx, input.user)).id };
    } else {
      if (!(await deps.clients.get(deps.tenantId, input.client_id!))) throw new GatehouseError('GH_NOT_FOUND', `no client ${input.client_id}`);
      filter = { clientId: input.client_id! };
    }
    return toListResult(await deps.grants.listGrants(deps.tenantId, filter, toListQuery(input, ['issued_at']), ctx.now()), grantView);
  },
});

export const revokeGrantUseCase = defineUseCase({
  name: 'grants.revoke',
  summary: 'Revoke one grant: its refresh and opaque tokens, and (by denylist) its JWT access tokens',
  role: 'operator',
  input: z.strictObject({
    grant_id: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[A-Za-z0-9_-]+$/, 'must be a grant id (base64url)'),
  }),
  event: 'grant.revoked',
  handle: async (ctx, input) => {
    // Idempotent, like RFC 7009 §2.2 revocation: a grant with no live stored token (already
    // revoked, or JWT-only) is still denylisted, so its JWT access tokens stop working too.
    const tokens = await revokeOneGrant(ctx.deps, input.grant_id, ctx.now());
    ctx.emit({ clientId: null, grantId: input.grant_id, reason: 'admin', tokens });
    return { grant_id: input.grant_id, tokens_revoked: tokens };
  },
});

export const revokeUserGrantsUseCase = defineUseCase({
  name: 'grants.revoke_for_user',
  summary: 'Revoke every grant and token of a user, at every client',
  role: 'operator',
  input: z.strictObject({ user: userRef }),
  event: 'tokens.revoked_for_user',
  handle: async (ctx, input) => {
    const { deps } = ctx;
    const user = await mustFindUser(ctx, input.user);
    const { grants } = await denylistGrants(deps, await deps.grants.revokeByUser(deps.tenantId, user.id, ctx.now()), ctx.now());
    ctx.emit({ userId: user.id, grants });
    return { user_id: user.id, grants_revoked: grants };
  },
});

export const revokeClientGrantsUseCase = defineUseCase({
  name: 'grants.revoke_for_client',
  summary: 'Revoke every grant and token issued to a client (user grants and client_credentials)',
  role: 'operator',
  input: z.strictObject({ client_id: clientId }),
  event: 'tokens.revoked_for_client',
  handle: async (ctx, input) => {
    const { deps } = ctx;
    if (!(await deps.clients.get(deps.tenantId, input.client_id))) throw new GatehouseError('GH_NOT_FOUND', `no client ${input.client_id}`);
    const { grants } = await denylistGrants(deps, await deps.grants.revokeByClient(deps.tenantId, input.client_id, ctx.now()), ctx.now());
    ctx.emit({ clientId: input.client_id, grants });
    return { client_id: input.client_id, grants_revoked: grants };
  },
});

export const grantUseCases = {
  list: listGrantsUseCase,
  revoke: revokeGrantUseCase,
  revokeForUser: revokeUserGrantsUseCase,
  revokeForClient: revokeClientGrantsUseCase,
} as const;
