/**
 * A minimal HTTP user agent for multi-step benchmark flows: keep-alive connections to one
 * origin, a per-flow cookie jar, no redirect following (each step asserts where it is sent).
 * node:http directly, not fetch: the load generator shares the machine with the server.
 */
import { Agent, request } from 'node:http';

export interface FlowResponse {
  readonly status: number;
  readonly location: string | null;
  readonly body: string;
}

export class FlowAgent {
  readonly #agent: Agent;
  readonly #origin: URL;

  constructor(origin: string, maxSockets: number) {
    this.#origin = new URL(origin);
    this.#agent = new Agent({ keepAlive: true, maxSockets });
  }

  /** A fresh cookie jar: one simulated browser. */
  browser(): FlowBrowser {
    return new FlowBrowser(this);
  }

  send(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<FlowResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#origin.hostname,
          port: this.#origin.port,
          method,
          path,
          agent: this.#agent,
          headers: body !== undefined ? { ...headers, 'content-length': Buffer.byteLength(body) } : headers,
          timeout: 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const setCookie = res.headers['set-cookie'];
            resolve(
              Object.assign(
                { status: res.statusCode ?? 0, location: res.headers.location ?? null, body: Buffer.concat(chunks).toString('utf8') },
                setCookie ? { setCookie } : {},
              ),
            );
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

export class FlowBrowser {
  readonly #agent: FlowAgent;
  readonly #cookies = new Map<string, string>();

  constructor(agent: FlowAgent) {
    this.#agent = agent;
  }

  async get(path: string): Promise<FlowResponse> {
    return this.#keep(await this.#agent.send('GET', path, this.#headers()));
  }

  async postForm(path: string, fields: Readonly<Record<string, string>>): Promise<FlowResponse> {
    const headers = { ...this.#headers(), 'content-type': 'application/x-www-form-urlencoded' };
    return this.#keep(await this.#agent.send('POST', path, headers, new URLSearchParams(fields).toString()));
  }

  #headers(): Record<string, string> {
    const h: Record<string, string> = { accept: 'text/html' };
    if (this.#cookies.size) h.cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return h;
  }

  #keep(r: FlowResponse): FlowResponse {
    const set = (r as { setCookie?: string[] }).setCookie;
    for (const line of set ?? []) {
      const pair = line.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      if (eq > 0) this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return r;
  }
}

/** The first form of an HTML page: its action and every named input's value (hidden ones included). */
export function firstForm(html: string): { action: string; fields: Record<string, string> } | null {
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return null;
  const action = /\baction="([^"]*)"/i.exec(form[0])?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const m of form[1]!.matchAll(/<input\b[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/i.exec(m[0])?.[1];
    if (!name) continue;
    fields[decodeEntities(name)] = decodeEntities(/\bvalue="([^"]*)"/i.exec(m[0])?.[1] ?? '');
  }
  return { action: decodeEntities(action), fields };
}

function decodeEntities(s: string): string {
  return s.replace(
    /&(amp|lt|gt|quot|#39|#x27|#x2F);/g,
    (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", '#x2F': '/' })[e] ?? _m,
  );
}
