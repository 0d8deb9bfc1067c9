import type { FastifyInstance } from 'fastify';
import { OAuthError } from '../../core/errors.ts';
import type { AccessTokenVerifier, VerifiedAccessToken } from '../../core/tokens/access-token-verifier.ts';
import { challenge } from '../../core/www-authenticate.ts';

/**
 * The seed of the resource-server kit (`gatehouse/resource-server`): one protected resource of
 * this server — its RFC 9728 metadata and its bearer check — so every resource (the admin API,
 * later `/admin/mcp`) answers the same way.
 */
export interface ProtectedResourceOptions {
  /** The authorization server's issuer (also where the resource lives). */
  readonly issuer: string;
  /** The resource's path, e.g. `/admin/api/v1`; the identifier is `{issuer}{path}`. */
  readonly path: string;
  /** Scopes the resource understands (RFC 9728 §2 `scopes_supported`). */
  readonly scopes: readonly string[];
  readonly name?: string;
  readonly verifier: AccessTokenVerifier;
}

export interface ProtectedResource {
  /** The resource identifier (RFC 9728 §1.2), also the audience its tokens must carry. */
  readonly resource: string;
  /** `{issuer}/.well-known/oauth-protected-resource{path}` (RFC 9728 §3.1). */
  readonly metadataUrl: string;
  /**
   * Paths the metadata is served at: the RFC 9728 §3.1 form of the public identifier and, when
   * the issuer has a path (a proxy maps it onto this server's root), the same without it.
   */
  readonly metadataPaths: readonly string[];
  /** The RFC 9728 §2 metadata document. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /**
   * The bearer token of an `Authorization` header, verified for this resource. Throws a 401
   * OAuthError whose challenge carries `resource_metadata` (RFC 9728 §5.1).
   */
  authenticate(authorization: string | undefined): Promise<VerifiedAccessToken>;
  /** A 403 insufficient_scope error naming the scopes that would do (RFC 6750 §3.1). */
  insufficientScope(needed: readonly string[], why?: string): OAuthError;
}

/** `Authorization: Bearer <token>` (RFC 6750 §2.1); the scheme is case-insensitive (RFC 9110 §11.1). */
function bearerToken(header: string | undefined): string | null {
  const m = header ? /^bearer +(\S+) *$/i.exec(header) : null;
  return m ? m[1]! : null;
}

export function createProtectedResource(opts: ProtectedResourceOptions): ProtectedResource {
  const origin = opts.issuer.replace(/\/+$/, '');
  const resource = `${origin}${opts.path}`;
  // RFC 9728 §3.1: the well-known suffix goes between the host and the path of the identifier.
  const metadataPath = `/.well-known/oauth-protected-resource${new URL(resource).pathname}`;
  const metadataUrl = `${new URL(origin).origin}${metadataPath}`;
  const local = `/.well-known/oauth-protected-resource${opts.path}`;
  const metadataPaths = local === metadataPath ? [metadataPath] : [metadataPath, local];
  const metadata = {
    resource,
    authorization_servers: [opts.issuer],
    scopes_supported: [...opts.scopes],
    bearer_methods_supported: ['header'],
    ...(opts.name ? { resource_name: opts.name } : {}),
  };
  const unauthorized = (error: OAuthError | null, description: string) =>
    new OAuthError('invalid_token', description, {
      status: 401,
      detail: error?.description,
      // RFC 6750 §3.1: a request without credentials gets no error code; RFC 9728 §5.1: the
      // challenge names the metadata, so a client can discover the authorization server.
      headers: {
        'www-authenticate': challenge('Bearer', {
          resource_metadata: metadataUrl,
          error: error ? 'invalid_token' : undefined,
          error_description: error ? description : undefined,
        }),
      },
    });
  return {
    resource,
    metadataUrl,
    metadataPaths,
    metadata,
    async authenticate(authorization) {
      const token = bearerToken(authorization);
      if (token === null) throw unauthorized(null, 'a bearer access token is required');
      try {
        return await opts.verifier.verify(token, resource);
      } catch (e) {
        if (e instanceof OAuthError && e.code === 'invalid_token') throw unauthorized(e, e.description ?? 'the access token is invalid');
        throw e;
      }
    },
    insufficientScope(needed, why) {
      const description = why ?? `the access token needs the scope ${needed.join(' or ')}`;
      // RFC 6750 §3.1: 403 with a challenge naming the scope; RFC 9728 §5.1: and the metadata.
      return new OAuthError('insufficient_scope', description, {
        headers: {
          'www-authenticate': challenge('Bearer', {
            resource_metadata: metadataUrl,
            error: 'insufficient_scope',
            error_description: description,
            scope: needed.join(' '),
          }),
        },
      });
    },
  };
}

/** Serves the RFC 9728 §3 metadata document of `pr` (public, cacheable for a while). */
export function registerProtectedResourceMetadata(app: FastifyInstance, pr: ProtectedResource): void {
  const body = JSON.stringify(pr.metadata);
  for (const path of pr.metadataPaths) registerMetadataRoute(app, path, body);
}

function registerMetadataRoute(app: FastifyInstance, path: string, body: string): void {
  app.get(
    path,
    {
      schema: {
        summary: 'OAuth 2.0 Protected Resource Metadata (RFC 9728 §3)',
        tags: ['discovery'],
        response: {
          200: {
            type: 'object',
            required: ['resource', 'authorization_servers'],
            properties: {
              resource: { type: 'string' },
              authorization_servers: { type: 'array', items: { type: 'string' } },
              scopes_supported: { type: 'array', items: { type: 'string' } },
              bearer_methods_supported: { type: 'array', items: { type: 'string' } },
              resource_name: { type: 'string' },
            },
          },
        },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').type('application/json').send(body),
  );
}
