import type { FastifyInstance, FastifyReply } from 'fastify';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { hasRole } from '../../app/index.ts';
import { redactConfig } from '../../config/redact.ts';
import { ADMIN_MCP_PATH, ADMIN_SCOPE, ADMIN_SCOPES } from '../../core/tokens/admin-scopes.ts';
import { authenticateAdmin } from '../admin-actor.ts';
import { createAdminMcpServer, METRICS_TOOL } from '../../mcp/server.ts';
import { adminTools } from '../../mcp/tools.ts';
import { summarizeMetrics } from '../../metrics/summary.ts';
import type { AppContext } from '../context.ts';
import { SECURITY } from '../plugins/openapi.ts';
import { createProtectedResource, registerProtectedResourceMetadata } from '../resource-server/index.ts';

/** Headers the MCP transport reads (Streamable HTTP); nothing else of the request reaches it. */
const FORWARDED = ['accept', 'content-type', 'mcp-protocol-version', 'mcp-session-id', 'last-event-id'] as const;

/** A JSON-RPC error response without an id (MCP Streamable HTTP: an HTTP error "MAY comprise" one). */
function rpcError(reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('application/json').send({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** The `tools/call` names of a JSON-RPC message or batch (for the read-only scope check). */
function calledTools(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((m) => {
    const msg = m as { method?: unknown; params?: { name?: unknown } } | null;
    return msg && msg.method === 'tools/call' ? [typeof msg.params?.name === 'string' ? msg.params.name : ''] : [];
  });
}

/**
 * `/admin/mcp`: the MCP admin server over Streamable HTTP (MCP 2025-06-18 "Transports"), an OAuth
 * protected resource per the MCP authorization spec: RFC 9728 metadata at
 * `/.well-known/oauth-protected-resource/admin/mcp`, Bearer access tokens with the audience
 * `{issuer}/admin/mcp` (RFC 8707) and `gatehouse:admin` (admin role, every tool) or
 * `gatehouse:admin.read` (viewer role, the read tools only).
 *
 * Stateless: each POST gets its own MCP server and transport, answers with JSON (no SSE stream,
 * no `Mcp-Session-Id`), so any instance behind a load balancer can answer any request and
 * nothing is kept between them; GET and DELETE are 405 (no server-initiated stream, no session).
 */
export async function registerAdminMcpRoutes(
  app: FastifyInstance,
  ctx: Pick<AppContext, 'config' | 'application' | 'accessTokenVerifier' | 'metrics' | 'dpop'>,
): Promise<void> {
  const { config, application } = ctx;
  const pr = createProtectedResource({
    issuer: config.issuer,
    path: ADMIN_MCP_PATH,
    scopes: ADMIN_SCOPES,
    name: 'Gatehouse MCP admin server',
    verifier: ctx.accessTokenVerifier,
    // RFC 9449 §7: DPoP-bound tokens (e.g. of a client registered with dpop_bound_access_tokens) too.
    dpop: ctx.dpop,
  });
  registerProtectedResourceMetadata(app, pr);
  const origin = new URL(config.issuer).origin;
  const readTools = new Set(
    adminTools(application.catalog)
      .filter((t) => t.annotations.readOnlyHint)
      .map((t) => t.name),
  );
  const registry = ctx.metrics?.registry;
  const metrics = registry ? () => summarizeMetrics(registry) : null;
  const redacted = () => redactConfig(config);

  await app.register(async (scope) => {
    // The transport parses the body itself (JSON-RPC parse errors are its answer); kept as text.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => done(null, text));

    scope.route({
      method: ['GET', 'POST', 'DELETE'],
      url: ADMIN_MCP_PATH,
      schema: {
        summary: 'MCP admin server (Streamable HTTP, stateless; docs/mcp.md)',
        description: 'JSON-RPC 2.0 MCP messages in, JSON out. Bearer token with audience `{issuer}/admin/mcp` and `gatehouse:admin` or `gatehouse:admin.read`.',
        tags: ['admin: mcp'],
        security: [{ [SECURITY.bearer]: [] }],
        response: {
          200: { description: 'The JSON-RPC response (or batch of responses) of the MCP message', content: { 'application/json': { schema: {} } } },
          400: {
            description: 'Not a JSON-RPC message (JSON-RPC parse error -32700), or a wrong Accept or Content-Type (406, 415)',
            content: { 'application/json': { schema: {} } },
          },
          202: { description: 'A notification or response was accepted (no body)', content: { 'application/json': { schema: {} } } },
          401: { description: 'No or an invalid token: `WWW-Authenticate` names the RFC 9728 metadata', content: { 'application/json': { schema: {} } } },
          403: {
            description: 'A foreign `Origin`, or a token without the scope the call needs (`insufficient_scope`)',
            content: { 'application/json': { schema: {} } },
          },
          405: { description: 'GET and DELETE: stateless server, no SSE stream and no session', content: { 'application/json': { schema: {} } } },
        },
      },
      handler: async (request, reply) => {
        // MCP "Transports / Security Warning": "Servers MUST validate the Origin header on all
        // incoming connections to prevent DNS rebinding attacks"; "If the Origin header is present
        // and invalid, servers MUST respond with HTTP 403 Forbidden."
        const from = request.headers.origin;
        if (from !== undefined && from !== origin) return rpcError(reply, 403, -32000, 'Forbidden: this Origin may not call the MCP server');

        // A user's token acts as that user, with the weaker of scope and current role (admin-actor.ts).
        const { token, actor } = await authenticateAdmin(pr, request, reply);
        const full = hasRole(actor, 'admin');

        if (request.method !== 'POST') {
          return rpcError(
            reply.header('allow', 'POST'),
            405,
            -32000,
            'Method not allowed: this MCP server is stateless (POST only, no SSE stream, no session)',
          );
        }
        const text = typeof request.body === 'string' ? request.body : '';
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined; // the transport answers with a JSON-RPC parse error
        }
        // MCP authorization "Scope Challenge Handling": a call the token's scope does not cover is
        // 403 insufficient_scope naming the scope that would (so a client can step up).
        if (!full && calledTools(parsed).some((name) => !readTools.has(name) && name !== METRICS_TOOL)) throw pr.insufficientScope([ADMIN_SCOPE], token.scheme);

        const server = createAdminMcpServer({
          application,
          actor,
          readOnly: !full,
          config: redacted,
          metrics,
          onError: (err, tool) => request.log.error({ err, tool }, 'MCP tool failed'),
        });
        const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        try {
          await server.connect(transport);
          const headers = new Headers();
          for (const h of FORWARDED) {
            const v = request.headers[h];
            if (typeof v === 'string') headers.set(h, v);
          }
          const res = await transport.handleRequest(new Request(`${origin}${ADMIN_MCP_PATH}`, { method: 'POST', headers, body: text }));
          const body = await res.text();
          // The transport's own statuses (400 malformed message, 406 Accept, 415 content type) pass through.
          reply.code(res.status as 200).header('cache-control', 'no-store');
          for (const [k, v] of res.headers) if (k !== 'content-length') reply.header(k, v);
          return reply.send(body);
        } finally {
          await server.close();
        }
      },
    });
  });
}
