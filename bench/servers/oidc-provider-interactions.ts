/**
 * Sign-in pages for node-oidc-provider in the benchmark (its own dev interactions accept any
 * password, which would not be equivalent work): a login form whose POST verifies an argon2id
 * hash with @node-rs/argon2, as Gatehouse does, then finishes the interaction.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function mountInteractions(provider: Provider, next: Handler, user: { username: string; passwordHash: string }): Handler {
  let argon: typeof import('@node-rs/argon2') | null = null;
  const handle = async (req: IncomingMessage, res: ServerResponse, uid: string, action: string): Promise<void> => {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (req.method === 'GET' && action === '') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(
        `<!doctype html><title>${details.prompt.name} ${JSON.stringify((details.prompt as { reasons?: unknown }).reasons ?? [])}</title><form method="post" action="/interaction/${uid}/login">` +
          '<input name="username"><input name="password" type="password"><button>Sign in</button></form>',
      );
      return;
    }
    if (req.method === 'POST' && action === '/login') {
      const form = new URLSearchParams(await readBody(req));
      argon ??= await import('@node-rs/argon2');
      const ok = form.get('username') === user.username && (await argon.verify(user.passwordHash, form.get('password') ?? ''));
      if (!ok) {
        res.writeHead(401).end('bad credentials');
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: user.username } }, { mergeWithLastSubmission: false });
      return;
    }
    res.writeHead(404).end();
  };
  return (req, res) => {
    const m = /^\/interaction\/([\w-]+)(\/login)?$/.exec(req.url ?? '');
    if (!m) return next(req, res);
    handle(req, res, m[1]!, m[2] ?? '').catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end((e as Error).message);
    });
  };
}
