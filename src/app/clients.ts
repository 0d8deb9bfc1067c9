import { z } from 'zod';
import { GatehouseError } from '../core/errors.ts';
import type { Client } from '../core/model/client.ts';
import { clientInformation } from '../core/registration/client-information.ts';
import { operatorPolicy } from '../core/registration/client-metadata.ts';
import { actorRef } from './actor.ts';
import { clientMetadataChangesSchema, clientMetadataSchema, METADATA_MEMBERS } from './client-schemas.ts';
import { denylistGrants } from './grant-ops.ts';
import { listFields, toListQuery, toListResult } from './paging.ts';
import { defineUseCase, type UseCaseContext } from './use-case.ts';
import { clientView, type ClientWithSecretView } from './views.ts';

const clientId = z.string().min(1).max(255);
const byId = z.strictObject({ client_id: clientId });

type Ctx = Pick<UseCaseContext<null>, 'deps'>;

async function mustGet(ctx: Ctx, id: string): Promise<Client> {
  const client = await ctx.deps.clients.get(ctx.deps.tenantId, id);
  if (!client) throw new GatehouseError('GH_NOT_FOUND', `no client ${id}`);
  return client;
}

const withSecret = (r: { client: Client; clientSecret: string | null }): ClientWithSecretView => ({
  client: clientView(r.client),
  client_secret: r.clientSecret,
});

export const createClientUseCase = defineUseCase({
  name: 'clients.create',
  summary: 'Register a client (RFC 7591 / OIDC Registration §2 metadata); a secret is shown once',
  role: 'operator',
  input: clientMetadataSchema,
  event: 'client.created',
  handle: async (ctx, metadata) =>
    withSecret(
      await ctx.deps.clientService.create({
        metadata,
        policy: operatorPolicy(ctx.deps.config),
        via: ctx.via,
        actor: actorRef(ctx.actor),
      }),
    ),
});

export const showClientUseCase = defineUseCase({
  name: 'clients.show',
  summary: 'One client (never its secret)',
  role: 'viewer',
  input: byId,
  event: null,
  handle: async (ctx, input) => clientView(await mustGet(ctx, input.client_id)),
});

export const listClientsUseCase = defineUseCase({
  name: 'clients.list',
  summary: 'Clients, one page at a time; q is a prefix of the client id (or of the name with sort=client_name)',
  role: 'viewer',
  input: z.strictObject(listFields(['client_id', 'client_name', 'created_at'], 'client_id')),
  event: null,
  handle: async (ctx, input) => toListResult(await ctx.deps.clients.page(ctx.deps.tenantId, toListQuery(input, ['created_at'])), clientView),
});

export const updateClientUseCase = defineUseCase({
  name: 'clients.update',
  summary: 'Change registered metadata (null removes a member); validated as at creation',
  role: 'operator',
  input: z.strictObject({ client_id: clientId, metadata: clientMetadataChangesSchema }),
  event: 'client.updated',
  handle: async (ctx, input) => {
    const existing = await mustGet(ctx, input.client_id);
    // The registered metadata as RFC 7591 names it, changed member by member, then validated
    // whole by the same validator as creation (RFC 7592 §2.2 semantics: the result replaces it).
    const current = clientInformation(existing);
    const merged: Record<string, unknown> = {};
    for (const m of METADATA_MEMBERS) if (current[m] !== undefined) merged[m] = current[m];
    for (const [m, v] of Object.entries(input.metadata)) {
      if (v === null) delete merged[m];
      else if (v !== undefined) merged[m] = v;
    }
    return withSecret(
      await ctx.deps.clientService.replaceMetadata(existing, {
        metadata: merged,
        policy: operatorPolicy(ctx.deps.config),
        via: ctx.via,
        actor: actorRef(ctx.actor),
      }),
    );
  },
});

export const disableClientUseCase = defineUseCase({
  name: 'clients.disable',
  summary: 'Refuse the client at every endpoint, at once',
  role: 'operator',
  input: byId,
  event: 'client.updated',
  handle: async (ctx, input) => clientView(await ctx.deps.clientService.setDisabled(input.client_id, true, ctx.via, actorRef(ctx.actor))),
});

export const enableClientUseCase = defineUseCase({
  name: 'clients.enable',
  summary: 'Re-allow a disabled client',
  role: 'operator',
  input: byId,
  event: 'client.updated',
  handle: async (ctx, input) => clientView(await ctx.deps.clientService.setDisabled(input.client_id, false, ctx.via, actorRef(ctx.actor))),
});

export const rotateClientSecretUseCase = defineUseCase({
  name: 'clients.rotate_secret',
  summary: 'Issue a new client secret (shown once); the old one stops working at once',
  role: 'operator',
  input: byId,
  event: 'client.updated',
  handle: async (ctx, input) => withSecret(await ctx.deps.clientService.rotateSecret(input.client_id, ctx.via, actorRef(ctx.actor))),
});

export const deleteClientUseCase = defineUseCase({
  name: 'clients.delete',
  summary: 'Delete a client, its consents and every grant and token issued to it',
  role: 'admin',
  input: byId,
  event: 'client.deleted',
  handle: async (ctx, input) => {
    const { deps } = ctx;
    const id = input.client_id;
    await mustGet(ctx, id);
    // Disabled first, so nothing new is issued to it while its grants and consents go.
    await deps.clients.update(deps.tenantId, id, { disabled: true, updatedAt: ctx.now() });
    const { grants } = await denylistGrants(deps, await deps.grants.revokeByClient(deps.tenantId, id, ctx.now()), ctx.now());
    const consents = await deps.consents.deleteByClient(deps.tenantId, id);
    if (!(await deps.clients.delete(deps.tenantId, id))) throw new GatehouseError('GH_NOT_FOUND', `no client ${id}`);
    ctx.emit({ clientId: id, via: ctx.via, grantsRevoked: grants, consentsDeleted: consents });
    return { client_id: id, grants_revoked: grants, consents_deleted: consents };
  },
});

export const clientUseCases = {
  create: createClientUseCase,
  show: showClientUseCase,
  list: listClientsUseCase,
  update: updateClientUseCase,
  disable: disableClientUseCase,
  enable: enableClientUseCase,
  rotateSecret: rotateClientSecretUseCase,
  delete: deleteClientUseCase,
} as const;
