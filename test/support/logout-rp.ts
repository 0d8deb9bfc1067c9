/**
 * Relying-party side helpers for the logout flow tests: a back-channel logout receiver (a local
 * HTTP server) and the Session Management OP iframe script run in a `node:vm` sandbox as the RP's
 * parent frame would talk to it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runInNewContext } from 'node:vm';

export interface LogoutReceiver {
  readonly url: string;
  /** The logout_token of every request, in order. */
  readonly tokens: string[];
  /** `<method> <content-type>` of every request. */
  readonly requests: string[];
  readonly hits: number;
  /** TCP connections accepted (0: nothing even tried to reach the receiver). */
  readonly connections: number;
  /** Resolves when the first request has arrived. */
  readonly arrived: Promise<void>;
  close(): Promise<void>;
}

/** A local back-channel logout receiver on 127.0.0.1:0 answering with `status` (or never). */
export async function receiver(status: number | 'hang'): Promise<LogoutReceiver> {
  const tokens: string[] = [];
  const requests: string[] = [];
  let signal!: () => void;
  const arrived = new Promise<void>((r) => {
    signal = r;
  });
  const state = { hits: 0, connections: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      state.hits++;
      requests.push(`${req.method} ${req.headers['content-type']}`);
      tokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      signal();
      if (status !== 'hang') res.writeHead(status, { 'cache-control': 'no-store' }).end();
    });
  });
  server.on('connection', () => {
    state.connections++;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel`,
    tokens,
    requests,
    get hits() {
      return state.hits;
    },
    get connections() {
      return state.connections;
    },
    arrived,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** Runs the served OP iframe script with `cookie` and posts `message` from `origin` as the parent frame. */
export async function askOpFrame(script: string, cookie: string, message: string, origin: string): Promise<string> {
  let listener: ((e: unknown) => void) | undefined;
  let answer: ((s: string) => void) | undefined;
  const answered = new Promise<string>((r) => {
    answer = r;
  });
  // An answer to any other origin comes back as `wrong-origin:<origin>` (the script swallows throws).
  const parent = {
    postMessage: (status: string, to: string) => {
      answer!(to === origin ? status : `wrong-origin:${to}`);
    },
  };
  const window = {
    parent,
    crypto: globalThis.crypto,
    addEventListener: (_t: string, fn: (e: unknown) => void) => {
      listener = fn;
    },
  };
  const document = { cookie, documentElement: { getAttribute: () => 'gh_browser_state' } };
  runInNewContext(script, { window, document, btoa, TextEncoder });
  listener!({ data: message, origin, source: parent });
  return answered;
}
