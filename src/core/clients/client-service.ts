import { GatehouseError } from '../errors.ts';
import type { ActorRef, EventMap } from '../events.ts';
import type { Client } from '../model/client.ts';
import { epochSeconds } from '../ports/clock.ts';
import type { ClientPatch, Ports } from '../ports/index.ts';
import { validateClientMetadata, type ClientMetadata, type MetadataPolicy } from '../registration/client-metadata.ts';
import { kekId, kekRing, openWithRing, sealedKekId, sealWithRing } from '../keys/kek.ts';
import { issueSecret, NO_SECRET, usesSecret } from './client-secrets.ts';
import { plainRandomId } from '../tokens/random-ids.ts';

/** The slice of ports client management needs (S6), plus the KEK and the tenant. */
export type ClientServiceDeps = Pick<Ports, 'clients' | 'clock' | 'random' | 'events'> & {
  readonly kek: Buffer;
  /** Earlier KEKs (during a KEK rotation): `resealSecrets` opens secrets sealed under them. */
  readonly kekPrevious?: readonly Buffer[];
  readonly tenantId: string;
};

export type CreatedVia = EventMap['client.created']['via'];
export type UpdatedVia = EventMap['client.updated']['via'];

/** A client plus its secret when one was just issued (shown once, never stored). */
export interface ClientWithSecret {
  readonly client: Client;
  readonly clientSecret: string | null;
}

export interface NewClient {
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly policy: MetadataPolicy;
  readonly via: CreatedVia;
  readonly registrationAccessTokenHash?: string | null;
  /** The operator who asked (application layer), put on `client.created`. */
  readonly actor?: ActorRef;
  /**
   * A fixed client_id instead of a random one: only for Gatehouse's own built-in clients (the
   * admin console, provisioned at start). Never taken from a request.
   */
  readonly clientId?: string;
}

export interface MetadataReplacement {
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly policy: MetadataPolicy;
  readonly via: UpdatedVia;
  /** Further fields written in the same update (e.g. a rotated registration access token hash). */
  readonly alsoSet?: ClientPatch;
  readonly actor?: ActorRef;
}

/**
 * Clients of one tenant: the one creation path (CLI, admin API, DCR, development bootstrap) and
 * every change to a client. Each change publishes one `client.*` event carrying `via` and, when
 * an operator asked, `actor`.
 */
export interface ClientService {
  create(input: NewClient): Promise<ClientWithSecret>;
  /**
   * KEK rotation: re-seals every sealed client secret (client_secret_jwt) not sealed under the
   * current KEK, one `ClientStore.resealSecret` compare-and-set each; pages through the clients.
   */
  resealSecrets(): Promise<{ secrets: number; resealed: number; failed: { clientId: string; reason: string }[] }>;
  /** Issues a new secret (the old one stops working at once) and returns it, once. */
  rotateSecret(clientId: string, via: UpdatedVia, actor?: ActorRef): Promise<ClientWithSecret>;
  setDisabled(clientId: string, disabled: boolean, via: UpdatedVia, actor?: ActorRef): Promise<Client>;
  replaceMetadata(existing: Client, input: MetadataReplacement): Promise<ClientWithSecret>;
  /** Resolves to false when there was no such client. */
  delete(clientId: string, via: EventMap['client.deleted']['via'], actor?: ActorRef): Promise<boolean>;
}

export function createClientService(deps: ClientServiceDeps): ClientService {
  return {
    create: (input) => createClient(deps, input),
    resealSecrets: () => resealSecrets(deps),
    rotateSecret: (clientId, via, actor) => rotateClientSecret(deps, clientId, via, actor),
    setDisabled: (clientId, disabled, via, actor) => setClientDisabled(deps, clientId, disabled, via, actor),
    replaceMetadata: (existing, input) => replaceClientMetadata(deps, existing, input),
    delete: (clientId, via, actor) => deleteClient(deps, clientId, via, actor),
  };
}

const withActor = (actor: ActorRef | undefined) => (actor ? { actor } : {});

function metadataFields(m: ClientMetadata) {
  return {
    clientName: m.clientName,
    tokenEndpointAuthMethod: m.tokenEndpointAuthMethod,
    tokenEndpointAuthSigningAlg: m.tokenEndpointAuthSigningAlg,
    grantTypes: m.grantTypes,
    responseTypes: m.responseTypes,
    redirectUris: m.redirectUris,
    scopes: m.scopes,
    jwks: m.jwks,
    jwksUri: m.jwksUri,
    accessTokenFormat: m.accessTokenFormat,
    metadata: m.extra,
  } as const;
}

/**
 * Validates the RFC 7591 metadata first (nothing is written when it fails), then generates a
 * random URL-safe client_id and, for secret-based methods, a 256-bit secret stored only as its hash.
 */
async function createClient(deps: ClientServiceDeps, input: NewClient): Promise<ClientWithSecret> {
  const m = validateClientMetadata(input.metadata, input.policy);
  const clientId = input.clientId ?? newClientId(deps);
  const now = epochSeconds(deps.clock);
  const issued = usesSecret(m.tokenEndpointAuthMethod) ? issueSecret(deps, clientId, m.tokenEndpointAuthMethod) : null;
  const client: Client = {
    tenantId: deps.tenantId,
    clientId,
    ...metadataFields(m),
    ...(issued?.fields ?? NO_SECRET),
    registrationAccessTokenHash: input.registrationAccessTokenHash ?? null,
    disabled: false,
    createdAt: now,
    updatedAt: now,
  };
  await deps.clients.create(client);
  deps.events.publish('client.created', { tenantId: deps.tenantId, clientId, via: input.via, ...withActor(input.actor) });
  return { client, clientSecret: issued?.secret ?? null };
}

/**
 * A random URL-safe client_id (128 bits). It never starts with `-` or `_`, so it can be passed
 * to a command line as a positional argument and read in logs without ambiguity.
 */
function newClientId(deps: Pick<ClientServiceDeps, 'random'>): string {
  return plainRandomId(deps.random, 16);
}

async function mustGet(deps: ClientServiceDeps, clientId: string): Promise<Client> {
  const client = await deps.clients.get(deps.tenantId, clientId);
  if (!client) throw new GatehouseError('GH_CLIENT_NOT_FOUND', `no client ${clientId}`);
  return client;
}

export type ClientChange = EventMap['client.updated']['change'];

async function mustUpdate(
  deps: ClientServiceDeps,
  clientId: string,
  patch: ClientPatch,
  via: UpdatedVia,
  change: ClientChange,
  actor: ActorRef | undefined,
): Promise<Client> {
  const updated = await deps.clients.update(deps.tenantId, clientId, { ...patch, updatedAt: epochSeconds(deps.clock) });
  if (!updated) throw new GatehouseError('GH_CLIENT_NOT_FOUND', `no client ${clientId}`);
  deps.events.publish('client.updated', { tenantId: deps.tenantId, clientId, via, change, ...withActor(actor) });
  return updated;
}

async function rotateClientSecret(deps: ClientServiceDeps, clientId: string, via: UpdatedVia, actor: ActorRef | undefined): Promise<ClientWithSecret> {
  const client = await mustGet(deps, clientId);
  if (!usesSecret(client.tokenEndpointAuthMethod)) {
    throw new GatehouseError('GH_CLIENT_NO_SECRET', `client ${clientId} uses ${client.tokenEndpointAuthMethod}, which has no secret`);
  }
  const issued = issueSecret(deps, clientId, client.tokenEndpointAuthMethod);
  return { client: await mustUpdate(deps, clientId, issued.fields, via, 'secret_rotated', actor), clientSecret: issued.secret };
}

async function setClientDisabled(deps: ClientServiceDeps, clientId: string, disabled: boolean, via: UpdatedVia, actor?: ActorRef): Promise<Client> {
  await mustGet(deps, clientId);
  return mustUpdate(deps, clientId, { disabled }, via, disabled ? 'disabled' : 'enabled', actor);
}

/**
 * Replaces a client's metadata wholesale (RFC 7592 §2.2: "Omitted fields MUST be treated as null
 * or empty values"). The client_id never changes. A secret is issued only when the new method
 * needs one the server cannot reuse: none before, or an HMAC key that was only stored hashed.
 */
async function replaceClientMetadata(deps: ClientServiceDeps, existing: Client, input: MetadataReplacement): Promise<ClientWithSecret> {
  const m = validateClientMetadata(input.metadata, input.policy);
  const method = m.tokenEndpointAuthMethod;
  const reusable = usesSecret(method) && existing.secretHash !== null && (method !== 'client_secret_jwt' || existing.secretEncrypted !== null);
  const issued = usesSecret(method) && !reusable ? issueSecret(deps, existing.clientId, method) : null;
  // A sealed HMAC key is kept only while the method is client_secret_jwt.
  const secretFields = !usesSecret(method) ? NO_SECRET : issued ? issued.fields : method === 'client_secret_jwt' ? {} : { secretEncrypted: null };
  const client = await mustUpdate(deps, existing.clientId, { ...input.alsoSet, ...metadataFields(m), ...secretFields }, input.via, 'metadata', input.actor);
  return { client, clientSecret: issued?.secret ?? null };
}

async function deleteClient(deps: ClientServiceDeps, clientId: string, via: EventMap['client.deleted']['via'], actor: ActorRef | undefined): Promise<boolean> {
  const gone = await deps.clients.delete(deps.tenantId, clientId);
  if (gone) deps.events.publish('client.deleted', { tenantId: deps.tenantId, clientId, via, ...withActor(actor) });
  return gone;
}

async function resealSecrets(deps: ClientServiceDeps): ReturnType<ClientService['resealSecrets']> {
  const ring = kekRing(deps.kek, deps.kekPrevious ?? []);
  const current = kekId(deps.kek);
  const failed: { clientId: string; reason: string }[] = [];
  let secrets = 0;
  let resealed = 0;
  for (let after: { k: string; id: string } | undefined; ; ) {
    const page = await deps.clients.page(deps.tenantId, { limit: 500, sort: 'client_id', order: 'asc', ...(after ? { after } : {}) });
    for (const c of page.items) {
      const sealed = c.secretEncrypted;
      if (!sealed) continue;
      secrets++;
      if (sealedKekId(sealed) === current) continue;
      let secret: string;
      try {
        // A v1 value names no KEK: already under the current one when it opens with it alone.
        if (sealedKekId(sealed) === null) {
          try {
            openWithRing(kekRing(deps.kek), sealed, c.clientId);
            continue;
          } catch {
            /* sealed under an earlier KEK: re-seal below */
          }
        }
        secret = openWithRing(ring, sealed, c.clientId);
      } catch (e) {
        failed.push({ clientId: c.clientId, reason: e instanceof GatehouseError ? e.message : 'cannot open' });
        continue;
      }
      if (await deps.clients.resealSecret(deps.tenantId, c.clientId, sealed, sealWithRing(ring, secret, c.clientId))) resealed++;
    }
    if (!page.next) break;
    after = { k: String(page.next.k), id: page.next.id };
  }
  return { secrets, resealed, failed };
}
