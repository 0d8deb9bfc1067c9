import type { FastifyInstance } from 'fastify';
import type { DpopVerifier } from '../../core/dpop/dpop-proof.ts';
import { OAuthError } from '../../core/errors.ts';
import type { AccessTokenVerifier, VerifiedAccessToken } from '../../core/tokens/access-token-verifier.ts';
import { challenge, type ChallengeParam } from '../../core/www-authenticate.ts';
import { presentedAccessToken, requestUri, type ResourceRequest } from './dpop-resource.ts';

export type { ResourceRequest } from './dpop-resource.ts';

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
  /** DPoP proofs (RFC 9449 §7): with it the resource takes `Authorization: DPoP` too. */
  readonly dpop?: DpopVerifier;
}

/** A verified token and the scheme it came with. */
export interface AuthenticatedToken extends VerifiedAccessToken {
  readonly scheme: 'Bearer' | 'DPoP';
  /** RFC 9449 §8.2/§9: the proof carried the previous window's nonce; send this one in `DPoP-Nonce`. */
  readonly dpopNonce?: string;
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
   * The access token of a request (`Authorization: Bearer`, or `Authorization: DPoP` plus its
   * `DPoP` proof, RFC 9449 §7.1), verified for this resource. Throws a 401 OAuthError whose
   * challenges carry `resource_metadata` (RFC 9728 §5.1) and, with DPoP, `algs`.
   */
  authenticate(request: ResourceRequest): Promise<AuthenticatedToken>;
  /**
   * A 403 insufficient_scope error naming the scopes that would do (RFC 6750 §3.1), on the
   * scheme the token came with; `why` replaces the default description.
   */
  insufficientScope(needed: readonly string[], scheme?: 'Bearer' | 'DPoP', why?: string): OAuthError;
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
    // RFC 9728 §2: dpop_signing_alg_values_supported; dpop_bound_access_tokens_required stays
    // false: bearer tokens are still accepted here.
    ...(opts.dpop ? { dpop_signing_alg_values_supported: [...opts.dpop.algorithms] } : {}),
    ...(opts.name ? { resource_name: opts.name } : {}),
  };
  const algs = opts.dpop ? opts.dpop.algorithms.join(' ') : undefined;
  type Params = Partial<Record<ChallengeParam, string | undefined>>;
  /**
   * RFC 9449 §7.2: a resource taking both schemes names both; the error goes on the challenge
   * of the scheme the client used (RFC 6750 §3.1: none without credentials).
   */
  const challenges = (used: 'Bearer' | 'DPoP' | null, error: Params) => {
    const bearer = challenge('Bearer', { resource_metadata: metadataUrl, ...(used === 'Bearer' ? error : {}) });
    if (algs === undefined) return bearer;
    return `${bearer}, ${challenge('DPoP', { resource_metadata: metadataUrl, algs, ...(used === 'DPoP' ? error : {}) })}`;
  };
  const unauthorized = (used: 'Bearer' | 'DPoP' | null, error: OAuthError | null) => {
    const code = error?.code === 'invalid_dpop_proof' || error?.code === 'use_dpop_nonce' ? error.code : 'invalid_token';
    const description = error?.description ?? 'an access token is required';
    const headers: Record<string, string> = {
      'www-authenticate': challenges(used, error ? { error: code, error_description: description } : {}),
    };
    // RFC 9449 §9: "the resource server [...] responds with [...] a DPoP-Nonce header".
    if (error?.headers['dpop-nonce']) headers['dpop-nonce'] = error.headers['dpop-nonce'];
    return new OAuthError(code, description, { status: 401, detail: error?.detail, headers });
  };
  return {
    resource,
    metadataUrl,
    metadataPaths,
    metadata,
    async authenticate(request) {
      const presented = presentedAccessToken(request.authorization, opts.dpop !== undefined);
      if (presented === null) throw unauthorized(null, null);
      try {
        if (presented.scheme === 'Bearer') return { ...(await opts.verifier.verify(presented.token, resource)), scheme: 'Bearer' };
        // RFC 9449 §7.1: the proof is for this request (htm, htu) and this token (ath); its jti is
        // spent only once the token has passed too.
        const dpopRequest = { proof: request.dpop, method: request.method, url: requestUri(opts.issuer, request.url), accessToken: presented.token };
        return await opts.dpop!.verifyThen(dpopRequest, async (proof) => {
          const verified = await opts.verifier.verify(presented.token, resource, proof.jkt);
          return { ...verified, scheme: 'DPoP' as const, ...(proof.nextNonce ? { dpopNonce: proof.nextNonce } : {}) };
        });
      } catch (e) {
        if (e instanceof OAuthError && (e.code === 'invalid_token' || e.code === 'invalid_dpop_proof' || e.code === 'use_dpop_nonce')) {
          throw unauthorized(presented.scheme, e);
        }
        throw e;
      }
    },
    insufficientScope(needed, scheme = 'Bearer', why) {
      const description = why ?? `the access token needs the scope ${needed.join(' or ')}`;
      // RFC 6750 §3.1: 403 with a challenge naming the scope; RFC 9728 §5.1: and the metadata.
      return new OAuthError('insufficient_scope', description, {
        headers: { 'www-authenticate': challenges(scheme, { error: 'insufficient_scope', error_description: description, scope: needed.join(' ') }) },
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
              dpop_signing_alg_values_supported: { type: 'array', items: { type: 'string' } },
              resource_name: { type: 'string' },
            },
          },
        },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').type('application/json').send(body),
  );
}
