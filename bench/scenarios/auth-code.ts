import { createHash, randomBytes } from 'node:crypto';
import { FlowAgent, firstForm, type FlowBrowser, type FlowResponse } from '../lib/flow-agent.ts';
import { BENCH_REDIRECT_URI } from '../lib/fixtures.ts';
import type { ClientFixture, FlowLoad, RunningTarget, Scenario } from '../lib/types.ts';
import { basicAuth, FORM, form, parseJson } from './http.ts';

/** Concurrent simulated browsers: enough to keep argon2id's thread pool (4 threads) busy. */
export const FLOW_CONCURRENCY = 8;

const b64url = (b: Buffer) => b.toString('base64url');

/** Follows same-origin redirects (the server's own pages) until a page or the client's redirect URI. */
async function follow(b: FlowBrowser, r: FlowResponse, origin: string): Promise<FlowResponse | string> {
  for (let hops = 0; hops < 6; hops++) {
    if (r.status < 300 || r.status >= 400 || !r.location) return r;
    if (r.location.startsWith(BENCH_REDIRECT_URI)) return r.location;
    const next = new URL(r.location, origin);
    if (next.origin !== origin) return `redirected off-site to ${next.origin}`;
    r = await b.get(next.pathname + next.search);
  }
  return 'too many redirects';
}

export interface CodeFlowResult {
  readonly problem: string | null;
  readonly refreshToken?: string;
}

/**
 * One authorization-code + PKCE flow: GET authorize → the sign-in page → POST username/password
 * (consent is pre-granted) → redirect with `code` → token request. With a fresh browser (the
 * default, or `browser` that has not signed in yet) the server must ask for the password; with
 * `session`, the browser signed in before and the server must answer the authorization request
 * with the code at once (no page, no password).
 */
export async function codeFlow(
  agent: FlowAgent,
  t: RunningTarget,
  client: ClientFixture,
  user: { username: string; password: string },
  opts: { readonly browser?: FlowBrowser; readonly session?: boolean } = {},
): Promise<CodeFlowResult> {
  const b = opts.browser ?? agent.browser();
  const session = opts.session === true;
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(12));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: BENCH_REDIRECT_URI,
    scope: client.scope,
    state,
    nonce: b64url(randomBytes(12)),
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    ...client.extraParams,
  });
  const page = await follow(b, await b.get(`${t.capabilities.authorizationPath}?${q}`), t.origin);
  let signedIn: FlowResponse | string;
  if (session) {
    if (typeof page !== 'string') return { problem: `with a session, authorize answered ${page.status} instead of the code: ${page.body.slice(0, 160)}` };
    signedIn = page;
  } else {
    if (typeof page === 'string') return { problem: `authorize: ${page}` };
    if (page.status !== 200) return { problem: `authorize answered ${page.status}: ${page.body.slice(0, 160)}` };
    const login = firstForm(page.body);
    if (!login) return { problem: 'no sign-in form' };
    const action = new URL(login.action || '/', t.origin);
    signedIn = await follow(
      b,
      await b.postForm(action.pathname + action.search, { ...login.fields, username: user.username, password: user.password }),
      t.origin,
    );
  }
  if (typeof signedIn !== 'string' || !signedIn.startsWith(BENCH_REDIRECT_URI)) {
    return {
      problem: `sign-in did not reach the redirect URI: ${typeof signedIn === 'string' ? signedIn : `${signedIn.status} ${signedIn.body.slice(0, 160)}`}`,
    };
  }
  const cb = new URL(signedIn).searchParams;
  if (cb.get('state') !== state) return { problem: 'state mismatch' };
  const code = cb.get('code');
  if (!code) return { problem: `no code: ${signedIn.slice(0, 160)}` };
  const r = await agent.send(
    'POST',
    t.capabilities.tokenPath!,
    { authorization: basicAuth(client), 'content-type': FORM, accept: 'application/json' },
    form({ grant_type: 'authorization_code', code, redirect_uri: BENCH_REDIRECT_URI, code_verifier: verifier, ...client.extraParams }),
  );
  const json = r.status === 200 ? parseJson(r.body) : null;
  if (!json || typeof json.access_token !== 'string' || typeof json.id_token !== 'string')
    return { problem: `token answered ${r.status}: ${r.body.slice(0, 160)}` };
  return { problem: null, ...(typeof json.refresh_token === 'string' ? { refreshToken: json.refresh_token } : {}) };
}

export function flowCapabilities(t: RunningTarget): { client: ClientFixture; user: { username: string; password: string } } | string {
  const { authorizationPath, tokenPath, webClient, user } = t.capabilities;
  if (!authorizationPath || !tokenPath || !webClient || !user) return t.capabilities.notes?.['auth-code'] ?? 'no authorization-code flow';
  return { client: webClient, user };
}

/** authorization_code + PKCE, a complete flow per iteration (authorize → sign in → token). */
export const authCode: Scenario = {
  id: 'auth-code',
  title: `authorization code + PKCE flows/s (authorize → argon2id sign-in → token), ${FLOW_CONCURRENCY} browsers`,
  async prepare(t) {
    const caps = flowCapabilities(t);
    if (typeof caps === 'string') return { na: caps };
    const agent = new FlowAgent(t.origin, FLOW_CONCURRENCY);
    const load: FlowLoad = {
      kind: 'flow',
      concurrency: FLOW_CONCURRENCY,
      once: async () => (await codeFlow(agent, t, caps.client, caps.user)).problem,
      close: () => agent.close(),
    };
    return { load };
  },
};
