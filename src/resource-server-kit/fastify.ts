import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { createResourceServer, nodeRequestParts, type ResourceServer, ResourceServerError, type ResourceServerOptions, type VerifiedToken } from './index.ts';
import { TransactionTokenError, type TransactionTokenVerifier, type VerifiedTransactionToken } from './transaction-token.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** A `preHandler` that lets through only requests whose access token carries every one of `scopes`. */
    requireScopes(scopes?: readonly string[]): preHandlerAsyncHookHandler;
  }
  interface FastifyRequest {
    /** The verified access token, set by `requireScopes`. */
    gatehouseToken?: VerifiedToken;
    /** The verified transaction token, set by `requireTransactionToken`. */
    transactionToken?: VerifiedTransactionToken;
  }
}

export type GatehouseResourceServerOptions = ResourceServerOptions | { readonly resourceServer: ResourceServer };

/**
 * The kit as a Fastify plugin: serves the RFC 9728 metadata document and decorates the instance
 * with `requireScopes([...])`, a `preHandler` answering 401/403 with the right challenges.
 * Not encapsulated (like fastify-plugin): the decorator is visible where the plugin is registered.
 */
export async function gatehouseResourceServer(app: FastifyInstance, opts: GatehouseResourceServerOptions): Promise<void> {
  const rs = 'resourceServer' in opts ? opts.resourceServer : createResourceServer(opts);
  const origin = new URL(rs.resource).origin;
  const body = JSON.stringify(rs.metadata);
  app.get(rs.metadataPath, async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').type('application/json').send(body));
  app.decorateRequest('gatehouseToken', undefined);
  app.decorate('requireScopes', (scopes: readonly string[] = []) => async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      // RFC 9449 §4.3 htu: the URI the client addressed, i.e. the resource's public origin and this path.
      request.gatehouseToken = await rs.verify(nodeRequestParts(request, origin), { scopes });
      // RFC 9449 §9: the proof carried the previous window's nonce; hand out the current one.
      if (request.gatehouseToken.dpopNonce) reply.header('dpop-nonce', request.gatehouseToken.dpopNonce);
    } catch (e) {
      if (!(e instanceof ResourceServerError)) throw e;
      reply.code(e.status).headers({ ...e.headers, 'cache-control': 'no-store' });
      return e.code ? reply.send({ error: e.code, error_description: e.description }) : reply.send();
    }
  });
}
// What fastify-plugin does: run in the registering context, so `requireScopes` is visible there.
Object.assign(gatehouseResourceServer, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'gatehouse-resource-server' });

/**
 * A Fastify `preHandler` that lets through only requests carrying a valid transaction token in
 * the `Txn-Token` header (draft-ietf-oauth-transaction-tokens §12) and sets
 * `request.transactionToken`; others get 401 `invalid_token`. `purposes`: scopes the token must
 * all carry. Needs no plugin registration.
 */
export function requireTransactionToken(verifier: TransactionTokenVerifier, purposes: readonly string[] = []): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const verified = await verifier.verifyRequest(request);
      if (!purposes.every((p) => verified.scopes.includes(p))) {
        reply.code(403).header('cache-control', 'no-store');
        return reply.send({ error: 'insufficient_scope', error_description: 'the transaction token is not for this purpose' });
      }
      request.transactionToken = verified;
    } catch (e) {
      if (!(e instanceof TransactionTokenError)) throw e;
      reply.code(e.status).header('cache-control', 'no-store');
      return reply.send({ error: e.code, error_description: e.description });
    }
  };
}
