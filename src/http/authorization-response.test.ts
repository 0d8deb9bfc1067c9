import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { sendAuthorizationResponse } from './authorization-flow.ts';

describe('authorization response redirect', () => {
  // RFC 9700 §4.12: "If an HTTP redirection (and not, for example, JavaScript) is used for such a
  // request, AS SHOULD use HTTP status code 303 "See Other"." The response often answers the
  // sign-in form (POST /login with the password), so it must never re-send that body.
  test('RFC 9700 §4.12: the redirect to the client is 303 See Other, also after a POST', async () => {
    const app = Fastify();
    app.post('/login', (_request, reply) =>
      sendAuthorizationResponse(
        reply,
        { pages: undefined as never },
        {
          redirectUri: 'https://rp.example/cb?x=1',
          responseMode: 'query',
          params: { code: 'c', state: 's', iss: 'https://op.example' },
        },
      ),
    );
    app.get('/authorize', (_request, reply) =>
      sendAuthorizationResponse(
        reply,
        { pages: undefined as never },
        {
          redirectUri: 'https://rp.example/cb',
          responseMode: 'fragment',
          params: { id_token: 't', iss: 'https://op.example' },
        },
      ),
    );
    try {
      const post = await app.inject({ method: 'POST', url: '/login' });
      assert.equal(post.statusCode, 303);
      assert.equal(post.headers.location, 'https://rp.example/cb?x=1&code=c&state=s&iss=https%3A%2F%2Fop.example');
      assert.equal(post.headers['cache-control'], 'no-store');
      const get = await app.inject({ method: 'GET', url: '/authorize' });
      assert.equal(get.statusCode, 303);
      assert.equal(get.headers.location, 'https://rp.example/cb#id_token=t&iss=https%3A%2F%2Fop.example');
    } finally {
      await app.close();
    }
  });
});
