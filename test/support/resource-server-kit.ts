/**
 * Resource servers built with the kit (`gatehouse/resource-server`) for flow tests, one per face:
 * the Fastify plugin, a node:http server handing web `Request`s to `rs.authenticate`, and the
 * Express-style middleware. Each serves `GET /api/orders` (scope `read`) answering
 * `{ sub, scheme }`, or the kit's refusal.
 *
 * Several of them can stand for one public resource (`https://orders.example/api`, say) the way
 * instances behind a load balancer do: each is configured with the public URL (the `htu` its
 * proofs must name) and listens on its own loopback port; `via(backend)` is a `fetch` that sends
 * a request for the public URL to that instance, so oauth4webapi (`[oauth.customFetch]`) signs
 * proofs for the public URL and keeps one nonce for it, whichever instance answers.
 */
import { createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import Fastify from 'fastify';
import * as oauth from 'oauth4webapi';
import {
  createResourceServer,
  errorResponse,
  gatehouseResourceServer,
  type ResourceServer,
  type ResourceServerOptions,
  requireScopesMiddleware,
  type VerifiedToken,
} from '../../src/resource-server-kit/mod.ts';
import { INSECURE } from './oauth-client.ts';

export type Face = 'Fastify plugin' | 'web Request' | 'middleware';
export const FACES: readonly Face[] = ['Fastify plugin', 'web Request', 'middleware'];

export interface Backend {
  readonly face: Face;
  /** Where this instance listens: `http://127.0.0.1:<port>`. */
  readonly url: string;
  close(): Promise<void>;
}

const listen = async (server: Server, port = 0): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const closing = (server: Server) => () =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/**
 * A node:http server whose requests become web `Request`s (body included, response streamed) for
 * the handler set with `use` (after listening, once the URL is known). The `Request`'s URL is
 * `publicOrigin` + path (default: this server's own URL) — what a handler behind a proxy builds
 * for DPoP `htu` (docs/resource-servers.md).
 */
export async function webServer(publicOrigin?: string): Promise<{ url: string; server: Server; use(h: (r: Request) => Promise<Response>): void }> {
  let handler: (r: Request) => Promise<Response> = async () => new Response(null, { status: 503 });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const headers = new Headers();
    for (const [k, vs] of Object.entries(req.headersDistinct)) for (const v of vs ?? []) headers.append(k, v);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = req.method === 'GET' || req.method === 'HEAD' ? null : Buffer.concat(chunks);
      const request = new Request(`${publicOrigin ?? url}${req.url}`, { method: req.method, headers, body });
      handler(request).then(
        (r) => {
          res.writeHead(r.status, Object.fromEntries(r.headers));
          if (r.body) Readable.fromWeb(r.body as import('node:stream/web').ReadableStream).pipe(res);
          else res.end();
        },
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
  });
  const url = await listen(server);
  return { url, server, use: (h) => (handler = h) };
}

/** The handler a web-`Request` server writes: metadata, `authenticate`, the nonce to pass on, or the refusal. */
export const webRoute = (rs: ResourceServer, scopes: readonly string[]) => async (request: Request) => {
  if (new URL(request.url).pathname === rs.metadataPath) return rs.metadataResponse();
  try {
    const token = await rs.authenticate(request, { scopes });
    // RFC 9449 §9: the kit says when to hand out a fresh nonce; a web handler sends it itself.
    return Response.json(
      { sub: token.subject, scheme: token.scheme, scopes: token.scopes },
      token.dpopNonce ? { headers: { 'dpop-nonce': token.dpopNonce } } : {},
    );
  } catch (e) {
    return errorResponse(e);
  }
};

/** The kit as a Fastify plugin. */
export async function fastifyBackend(options: ResourceServerOptions): Promise<Backend> {
  const app = Fastify();
  await app.register(gatehouseResourceServer, options);
  app.get('/api/orders', { preHandler: app.requireScopes(['read']) }, async (request) => ({
    sub: request.gatehouseToken?.subject,
    scheme: request.gatehouseToken?.scheme,
  }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { face: 'Fastify plugin', url, close: () => app.close() };
}

/** The kit's web-`Request` face (`rs.authenticate`), the `Request` built for the resource's public origin. */
export async function webBackend(options: ResourceServerOptions): Promise<Backend> {
  const web = await webServer(new URL(options.resource).origin);
  web.use(webRoute(createResourceServer(options), ['read']));
  return { face: 'web Request', url: web.url, close: closing(web.server) };
}

/** The kit's Express-style middleware on node:http. */
export async function middlewareBackend(options: ResourceServerOptions): Promise<Backend> {
  const rs = createResourceServer(options);
  const guard = requireScopesMiddleware(rs, ['read']);
  const server = createServer((req: IncomingMessage & { auth?: VerifiedToken }, res) => {
    if (req.url === rs.metadataPath) return void res.setHeader('content-type', 'application/json').end(JSON.stringify(rs.metadata));
    guard(req, res, () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ sub: req.auth?.subject, scheme: req.auth?.scheme }));
    });
  });
  return { face: 'middleware', url: await listen(server), close: closing(server) };
}

export const backend = (face: Face, options: ResourceServerOptions): Promise<Backend> =>
  face === 'Fastify plugin' ? fastifyBackend(options) : face === 'web Request' ? webBackend(options) : middlewareBackend(options);

/** A `fetch` for oauth4webapi that sends a request for the public URL to `b` (a load balancer picking that instance). */
export const via =
  (b: Backend) =>
  (url: string, init: oauth.CustomFetchOptions<string, oauth.ProtectedResourceRequestBody>): Promise<Response> => {
    const u = new URL(url);
    return fetch(`${b.url}${u.pathname}${u.search}`, init as RequestInit);
  };

/** oauth4webapi's resource request: `GET publicUrl` with the token and a proof from `handle`, answered by `b`. */
export const dpopGet = (b: Backend, publicUrl: string, accessToken: string, handle: oauth.DPoPHandle): Promise<Response> =>
  oauth.protectedResourceRequest(accessToken, 'GET', new URL(publicUrl), undefined, undefined, { DPoP: handle, [oauth.customFetch]: via(b), ...INSECURE });

/** The proof oauth4webapi would send with `accessToken` for `method url` (captured, not sent). */
export const proofFor = async (handle: oauth.DPoPHandle, method: string, url: string, accessToken: string): Promise<string> => {
  let proof = '';
  const capture = async (_u: string, init: oauth.CustomFetchOptions<string, oauth.ProtectedResourceRequestBody>) => {
    proof = (init.headers as Record<string, string>)['dpop']!;
    return new Response('{}', { status: 200 });
  };
  await oauth.protectedResourceRequest(accessToken, method, new URL(url), undefined, undefined, { DPoP: handle, [oauth.customFetch]: capture, ...INSECURE });
  return proof;
};

export const challengeOf = (res: { headers: Headers }) => res.headers.get('www-authenticate') ?? '';

/**
 * A GET with node:http, so a header can be sent several times as separate lines (`fetch` joins
 * repeated values into one line). Answers with a `Response` for the usual assertions.
 */
export function rawGet(url: string, headers: Record<string, string | string[]>): Promise<Response> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, vs] of Object.entries(res.headersDistinct)) for (const v of vs ?? []) h.append(k, v);
        resolve(new Response(chunks.length ? Buffer.concat(chunks) : null, { status: res.statusCode ?? 0, headers: h }));
      });
    })
      .on('error', reject)
      .end();
  });
}
