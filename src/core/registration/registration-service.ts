import { randomId } from '../clients/client-secrets.ts';
import type { ClientService } from '../clients/client-service.ts';
import { safeEqual, sha256 } from '../crypto.ts';
import { OAuthError } from '../errors.ts';
import type { Client } from '../model/client.ts';
import type { Ports } from '../ports/index.ts';
import { isAdminScope } from '../tokens/admin-scopes.ts';
import { clientInformation } from './client-information.ts';
import { servedGrantTypes, serverMetadataPolicy, type MetadataPolicy, type MetadataServerConfig } from './client-metadata.ts';

export interface RegistrationConfig extends MetadataServerConfig {
  readonly registration: {
    readonly initialAccessTokens: readonly string[];
    readonly allowedScopes: readonly string[];
    readonly allowedGrantTypes: readonly string[];
  };
}

/** Where the HTTP layer serves registration: `registration_client_uri` = `${endpoint}/${client_id}`. */
export interface RegistrationRequest {
  readonly endpoint: string;
  /** The bearer token presented, if any (initial access token or registration access token). */
  readonly bearer: string | undefined;
}

/** The client store (reads and the registration access token), randomness and the client service. */
export type RegistrationDeps = Pick<Ports, 'clients' | 'random'> & {
  readonly tenantId: string;
  readonly clientService: Pick<ClientService, 'create' | 'replaceMetadata' | 'delete'>;
};

/** What registration and the RFC 7592 read and update answer (RFC 7591 §3.2.1 client information). */
export type RegistrationResponse = ReturnType<typeof response>;

/** RFC 7591 registration and RFC 7592 management, bound to their dependencies once. */
export interface Registration {
  register(req: RegistrationRequest, body: unknown): Promise<RegistrationResponse>;
  read(clientId: string, req: RegistrationRequest): Promise<RegistrationResponse>;
  update(clientId: string, req: RegistrationRequest, body: unknown): Promise<RegistrationResponse>;
  delete(clientId: string, req: RegistrationRequest): Promise<void>;
}

export function createRegistration(deps: RegistrationDeps, config: RegistrationConfig): Registration {
  return {
    register: (req, body) => registerClient(deps, config, req, body),
    read: (clientId, req) => readRegistration(deps, clientId, req),
    update: (clientId, req, body) => updateRegistration(deps, config, clientId, req, body),
    delete: (clientId, req) => deleteRegistration(deps, clientId, req),
  };
}

const DEFAULT_DCR_SCOPES = ['openid', 'profile', 'email'];

export function registrationPolicy(config: RegistrationConfig): MetadataPolicy {
  const { allowedScopes, allowedGrantTypes } = config.registration;
  // A dynamically registered client never marks itself first-party (that would skip consent).
  return {
    ...serverMetadataPolicy(config),
    // Only grants the token endpoint serves (the JWT bearer grant: when a trusted issuer allows it).
    grantTypes: allowedGrantTypes.filter((g) => servedGrantTypes(config).includes(g)),
    // Never an admin scope, even if configured: only the operator grants those (issue #11).
    scopes: (allowedScopes.length ? allowedScopes : DEFAULT_DCR_SCOPES).filter((s) => !isAdminScope(s)),
    firstParty: false,
    claimSources: null,
  };
}

function metadataObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw OAuthError.invalidClientMetadata('the request body must be a JSON object of client metadata');
  }
  return body as Record<string, unknown>;
}

/** Constant-time membership: every configured token is compared, by hash (equal lengths). */
function matchesAny(presented: string, tokens: readonly string[]): boolean {
  const h = sha256(presented);
  let ok = false;
  for (const t of tokens) ok = safeEqual(h, sha256(t)) || ok;
  return ok;
}

function response(client: Client, req: RegistrationRequest, issued: { clientSecret: string | null; registrationAccessToken: string }) {
  return {
    ...clientInformation(client),
    ...(issued.clientSecret ? { client_secret: issued.clientSecret } : {}),
    registration_access_token: issued.registrationAccessToken,
    registration_client_uri: `${req.endpoint}/${encodeURIComponent(client.clientId)}`,
  };
}

function newAccessToken(deps: Pick<RegistrationDeps, 'random'>): { token: string; hash: string } {
  const token = randomId(deps.random, 32);
  return { token, hash: sha256(token) };
}

/**
 * RFC 7591 §3.1 client registration. With initial access tokens configured, one of them is
 * required as a Bearer token (RFC 7591 §3: "the authorization server may require an initial
 * access token"); otherwise registration is open.
 */
async function registerClient(deps: RegistrationDeps, config: RegistrationConfig, req: RegistrationRequest, body: unknown) {
  const tokens = config.registration.initialAccessTokens;
  if (tokens.length > 0 && (req.bearer === undefined || !matchesAny(req.bearer, tokens))) {
    throw OAuthError.invalidToken(req.bearer === undefined ? undefined : 'invalid initial access token', 'initial access token missing or wrong');
  }
  const rat = newAccessToken(deps);
  const { client, clientSecret } = await deps.clientService.create({
    metadata: metadataObject(body),
    policy: registrationPolicy(config),
    via: 'registration',
    registrationAccessTokenHash: rat.hash,
  });
  return response(client, req, { clientSecret, registrationAccessToken: rat.token });
}

/**
 * RFC 7592 §2: the registration access token authorizes management of exactly one client.
 * An unknown client, a client registered without one (CLI), a disabled client or a wrong token
 * all get the same 401 invalid_token (§2.1: "If the client does not exist on this server, the
 * server MUST respond with HTTP 401 Unauthorized").
 */
async function authorizeManagement(deps: RegistrationDeps, clientId: string, bearer: string | undefined): Promise<Client> {
  const client = await deps.clients.get(deps.tenantId, clientId);
  const ok = bearer !== undefined && safeEqual(sha256(bearer), client?.registrationAccessTokenHash ?? sha256(''));
  if (!client || !client.registrationAccessTokenHash || client.disabled || !ok) {
    throw OAuthError.invalidToken(bearer === undefined ? undefined : 'invalid registration access token', `management of ${clientId.slice(0, 100)} refused`);
  }
  return client;
}

/**
 * RFC 7592 §2.1 read. The token is stored only hashed (S5), so the REQUIRED
 * registration_access_token in the response is a new one; RFC 7592 §2.1: "If the authorization
 * server includes a new client secret and/or registration access token in its response, the
 * client MUST immediately discard its previous client secret and/or registration access token."
 */
async function readRegistration(deps: RegistrationDeps, clientId: string, req: RegistrationRequest) {
  const client = await authorizeManagement(deps, clientId, req.bearer);
  const rat = newAccessToken(deps);
  const updated = await deps.clients.update(deps.tenantId, client.clientId, { registrationAccessTokenHash: rat.hash });
  if (!updated) throw OAuthError.invalidToken('invalid registration access token', 'client vanished during read');
  return response(updated, req, { clientSecret: null, registrationAccessToken: rat.token });
}

const READ_ONLY_MEMBERS = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];

/** RFC 7592 §2.2 update: the body replaces the registered metadata wholesale. */
async function updateRegistration(deps: RegistrationDeps, config: RegistrationConfig, clientId: string, req: RegistrationRequest, body: unknown) {
  const client = await authorizeManagement(deps, clientId, req.bearer);
  const metadata = metadataObject(body);
  // RFC 7592 §2.2: "The client MUST include its "client_id" field in the request, and it MUST be
  // the same as its currently issued client identifier."
  if (metadata['client_id'] !== client.clientId) throw OAuthError.invalidRequest('client_id must be present and equal to the registered client_id');
  // RFC 7592 §2.2: the request "MUST NOT include the "registration_access_token",
  // "registration_client_uri", "client_secret_expires_at", or "client_id_issued_at" fields".
  const forbidden = READ_ONLY_MEMBERS.find((m) => m in metadata);
  if (forbidden) throw OAuthError.invalidRequest(`the request must not include ${forbidden}`);
  // RFC 7592 §2.2: "If the client includes the "client_secret" field in the request, the value of
  // this field MUST match the currently issued client secret for that client."
  const secret = metadata['client_secret'];
  if (secret !== undefined && (typeof secret !== 'string' || !client.secretHash || !safeEqual(sha256(secret), client.secretHash))) {
    throw OAuthError.invalidRequest('client_secret does not match the issued secret');
  }
  const rat = newAccessToken(deps);
  const { client: updated, clientSecret } = await deps.clientService.replaceMetadata(client, {
    metadata,
    policy: { ...registrationPolicy(config), keepClaimMappings: client.metadata['claim_mappings'] },
    via: 'registration',
    alsoSet: { registrationAccessTokenHash: rat.hash },
  });
  return response(updated, req, { clientSecret, registrationAccessToken: rat.token });
}

/** RFC 7592 §2.3 delete: the client and its registration access token are gone. */
async function deleteRegistration(deps: RegistrationDeps, clientId: string, req: RegistrationRequest): Promise<void> {
  const client = await authorizeManagement(deps, clientId, req.bearer);
  await deps.clientService.delete(client.clientId, 'registration');
}
