import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { parseAttributes, parseForms } from './html-forms.ts';
import { UserAgent } from './user-agent.ts';

/** A tiny site: login → consent → redirect to a client; a form_post page; a cookie check. */
let server: Server;
let url: string;
before(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const html = (s: string, status = 200) => {
        res.writeHead(status, { 'content-type': 'text/html' });
        res.end(s);
      };
      if (u.pathname === '/start') {
        res.writeHead(302, { location: '/login?x=1', 'set-cookie': 'sid=abc; Path=/; HttpOnly' });
        res.end();
        return;
      }
      if (u.pathname === '/login' && req.method === 'GET') {
        html(
          `<form method="post" action="/login?step=2"><input type="hidden" name="csrf" value="t&amp;1"><input name="username" value="hint"><input type="password" name="password"><button>Sign in</button></form>`,
        );
        return;
      }
      if (u.pathname === '/login') {
        if (req.headers.cookie !== 'sid=abc' || form.get('csrf') !== 't&1' || form.get('password') !== 'pw') {
          html('<p>bad</p>', 403);
          return;
        }
        html(
          `<form method="post" action="/consent"><input type="hidden" name="i" value="sealed"><button name="decision" value="deny">Deny</button><button name="decision" value="allow">Allow</button></form>`,
        );
        return;
      }
      if (u.pathname === '/consent') {
        res.writeHead(303, {
          location: form.get('decision') === 'allow' ? 'https://client.example/cb?code=c1&state=s' : 'https://client.example/cb?error=access_denied',
        });
        res.end();
        return;
      }
      if (u.pathname === '/fp') {
        html(
          `<form method="post" action="https://client.example/cb"><input type="hidden" name="code" value="c2"><input type="hidden" name="state" value="&quot;s&quot;"></form><script src="/a.js"></script>`,
        );
        return;
      }
      html('not found', 404);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('user agent: cookies, same-origin redirects, login and consent forms, stop at the client', async () => {
  const ua = new UserAgent(url);
  const out = await ua.authorize(`${url}/start`, { username: 'alice', password: 'pw' });
  assert.equal(out.kind, 'redirect');
  if (out.kind !== 'redirect') return;
  assert.equal(out.url.href, 'https://client.example/cb?code=c1&state=s');
  assert.deepEqual(out.trail, ['login', 'consent']);
  assert.equal(ua.cookies.get('sid'), 'abc');
});

test('user agent: a refused sign-in stops on the page; deny presses the deny button', async () => {
  const bad = await new UserAgent(url).authorize(`${url}/start`, { username: 'alice', password: 'wrong' });
  assert.ok(bad.kind === 'page' && bad.page.status === 403);
  const denied = await new UserAgent(url).authorize(`${url}/start`, { username: 'alice', password: 'pw', consent: 'deny' });
  assert.ok(denied.kind === 'redirect' && denied.url.searchParams.get('error') === 'access_denied');
});

test('user agent: a form_post page is captured, not posted', async () => {
  const out = await new UserAgent(url).navigate(`${url}/fp`);
  assert.equal(out.kind, 'form_post');
  if (out.kind === 'form_post') assert.deepEqual(out.params, { code: 'c2', state: '"s"' });
});

test('html forms: attributes decode entities; actions resolve against the page', () => {
  assert.deepEqual(parseAttributes(`<input type=hidden name="a" value='x&lt;y' disabled>`), { type: 'hidden', name: 'a', value: 'x<y', disabled: '' });
  const [f] = parseForms(
    '<form method="POST"><select name="s"><option value="1">a<option value="2" selected>b</select><textarea name="t">q&amp;r</textarea></form>',
    'http://h/p?q=1',
  );
  assert.equal(f!.action, 'http://h/p?q=1');
  assert.deepEqual(
    f!.fields.map((x) => [x.name, x.value]),
    [
      ['t', 'q&r'],
      ['s', '2'],
    ],
  );
});
