/**
 * Admin API helpers for flow tests: an admin (or read-only) client created the way an operator
 * bootstraps one (the CLI's clients.create), its token from the real token endpoint
 * (oauth4webapi), and a JSON caller for `/admin/api/v1`.
 */
import assert from 'node:assert/strict';
import { cliActor, type Actor } from '../../src/app/index.ts';
import { clientCredentials, discover } from './oauth-client.ts';
import type { TestServer } from './server.ts';
import { UserAgent } from './user-agent.ts';

export const CLI: Actor = { ...cliActor({ USER: 'tester' }), origin: 'cli:test' };

export type AdminCall = { status: number; headers: Headers; body: Record<string, unknown> };

export interface AdminApi {
  readonly base: string;
  readonly adminToken: string;
  /** The client the admin token was issued to (the actor of admin calls). */
  readonly adminClientId: string;
  readonly readToken: string;
  call(method: string, path: string, opts?: { token?: string | null; body?: unknown; type?: string; headers?: Record<string, string> }): Promise<AdminCall>;
}

/** Creates a client allowed `scope` (as `gatehouse clients create --scopes …` does). */
export async function createAdminClient(s: TestServer, scope: string): Promise<{ client_id: string; client_secret: string }> {
  const out = (await s.gh.services.application.run('clients.create', CLI, {
    client_name: `admin automation ${scope}`,
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope,
  })) as { client: { client_id: string }; client_secret: string };
  return { client_id: out.client.client_id, client_secret: out.client_secret };
}

export async function adminApi(s: TestServer): Promise<AdminApi> {
  const as = await discover(s.url);
  const admin = await createAdminClient(s, 'gatehouse:admin');
  const reader = await createAdminClient(s, 'gatehouse:admin.read');
  const adminToken = (await clientCredentials(as, admin, { scope: 'gatehouse:admin' })).access_token;
  const readToken = (await clientCredentials(as, reader, { scope: 'gatehouse:admin.read' })).access_token;
  const base = `${s.url}/admin/api/v1`;
  return {
    base,
    adminToken,
    adminClientId: admin.client_id,
    readToken,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const token = opts.token === undefined ? adminToken : opts.token;
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      if (opts.body !== undefined) headers['content-type'] = opts.type ?? 'application/json';
      const res = await fetch(`${base}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
  };
}

/** Audit records of one action (newest first). */
export async function auditOf(
  s: TestServer,
  action: string,
): Promise<{ actor: { kind: string; id: string }; outcome: string; object: { id: string | null } }[]> {
  const page = (await s.gh.services.application.run('audit.list', CLI, { action })) as {
    items: { actor: { kind: string; id: string }; outcome: string; object: { id: string | null } }[];
  };
  return page.items;
}

/** A console browser session: the cookie header and a console page's CSRF token. */
export interface ConsoleSession {
  readonly cookie: string;
  readonly csrf: string;
  readonly userId: string;
}

/** Signs `user` in to the console (sign-in page, /authorize, callback) with a user agent of our own. */
export async function signInToConsole(
  s: TestServer,
  user: { readonly id: string; readonly username: string; readonly password: string },
): Promise<ConsoleSession> {
  const ua = new UserAgent(s.url, { maxSteps: 30 });
  const out = await ua.authorize(`${s.url}/admin/sign-in?return_to=%2Fadmin`, { username: user.username, password: user.password });
  assert.equal(out.kind, 'page');
  const cookie = [...ua.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const page = await (await fetch(`${s.url}/admin/clients`, { headers: { cookie } })).text();
  const csrf = /name="[^"]*csrf[^"]*" value="([^"]+)"/i.exec(page)?.[1];
  assert.ok(csrf, 'the console page carries a CSRF token');
  return { cookie, csrf, userId: user.id };
}
