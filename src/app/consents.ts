import { z } from 'zod';
import { GatehouseError } from '../core/errors.ts';
import { listFields, toListQuery, toListResult } from './paging.ts';
import { defineUseCase } from './use-case.ts';
import { mustFindUser, userRef } from './users.ts';
import { consentView } from './views.ts';

export const listConsentsUseCase = defineUseCase({
  name: 'consents.list',
  summary: "A user's remembered consents, by client; q is a client id prefix",
  role: 'viewer',
  input: z.strictObject({ user: userRef, ...listFields(['client_id'], 'client_id') }),
  event: null,
  handle: async (ctx, input) => {
    const user = await mustFindUser(ctx, input.user);
    return toListResult(await ctx.deps.consents.pageByUser(ctx.deps.tenantId, user.id, toListQuery(input, [])), consentView);
  },
});

export const revokeConsentUseCase = defineUseCase({
  name: 'consents.revoke',
  summary: "Forget a user's consent for a client: the consent page shows again next time (tokens already issued stay)",
  role: 'operator',
  input: z.strictObject({ user: userRef, client_id: z.string().min(1).max(255) }),
  event: 'consent.revoked',
  handle: async (ctx, input) => {
    const user = await mustFindUser(ctx, input.user);
    if (!(await ctx.deps.consents.delete(ctx.deps.tenantId, user.id, input.client_id))) {
      throw new GatehouseError('GH_NOT_FOUND', `${user.username} has no consent for client ${input.client_id}`);
    }
    ctx.emit({ userId: user.id, clientId: input.client_id });
    return { user_id: user.id, client_id: input.client_id };
  },
});

export const consentUseCases = { list: listConsentsUseCase, revoke: revokeConsentUseCase } as const;
