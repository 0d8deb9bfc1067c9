import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { sessionState as computeSessionState } from '../../core/authorize/session-state.ts';
import { CHECK_SESSION_JS } from './check-session-js.ts';

/** session_state exactly as the authorization endpoint computes it (redirect URI under `origin`). */
function sessionState(clientId: string, origin: string, browserState: string, salt: string): string {
  return computeSessionState(clientId, `${origin}/callback?x=1`, browserState, salt);
}

/** Runs the OP iframe script against a fake window/document; returns a postMessage driver. */
function opFrame(cookie: string, opts: { subtle?: boolean } = {}) {
  let listener: ((e: unknown) => void) | undefined;
  const answers: { status: string; origin: string }[] = [];
  const parent = {
    postMessage: (status: string, origin: string) => {
      answers.push({ status, origin });
    },
  };
  const stranger = { postMessage: () => assert.fail('answered a frame other than the parent') };
  const window = {
    parent,
    crypto: opts.subtle === false ? {} : globalThis.crypto,
    addEventListener: (type: string, fn: (e: unknown) => void) => {
      if (type === 'message') listener = fn;
    },
  };
  const document = { cookie, documentElement: { getAttribute: (n: string) => (n === 'data-cookie' ? 'gh_browser_state' : null) } };
  runInNewContext(CHECK_SESSION_JS, { window, document, btoa, TextEncoder });
  assert.ok(listener, 'listens for messages');
  return {
    answers,
    async post(data: unknown, origin = 'https://rp.example', source: unknown = parent): Promise<string | undefined> {
      const before = answers.length;
      listener!({ data, origin, source: source === 'stranger' ? stranger : source });
      // SubtleCrypto digests finish on the thread pool: wait for the answer (bounded), not a fixed number of ticks.
      for (let i = 0; i < 400 && answers.length === before; i++) await new Promise((r) => setTimeout(r, 5));
      return answers.at(before)?.status;
    },
  };
}

describe('OIDC Session Management 1.0 §3.3 OP iframe script', () => {
  const state = 'bs-123';
  const cookie = `gh_other=1; gh_browser_state=${state}`;

  test('unchanged when session_state matches the browser state and the RP origin', async () => {
    const op = opFrame(cookie);
    assert.equal(await op.post(`rp1 ${sessionState('rp1', 'https://rp.example', state, 'salt1')}`), 'unchanged');
    assert.equal(op.answers[0]!.origin, 'https://rp.example', 'answered to the sender origin');
  });

  test('a client_id with spaces is split at the last space', async () => {
    const op = opFrame(cookie);
    assert.equal(await op.post(`my rp ${sessionState('my rp', 'https://rp.example', state, 's')}`), 'unchanged');
  });

  test('changed when the browser state changed, the origin differs, or the user signed out', async () => {
    const ss = sessionState('rp1', 'https://rp.example', 'older-state', 'salt1');
    assert.equal(await opFrame(cookie).post(`rp1 ${ss}`), 'changed');
    const good = sessionState('rp1', 'https://rp.example', state, 'salt1');
    assert.equal(await opFrame(cookie).post(`rp1 ${good}`, 'https://evil.example'), 'changed');
    assert.equal(await opFrame('gh_other=1').post(`rp1 ${good}`), 'changed');
    assert.equal(await opFrame(cookie).post(`rp2 ${good}`), 'changed');
  });

  test('error for a malformed message or without WebCrypto', async () => {
    const op = opFrame(cookie);
    for (const bad of ['no-space', 'rp1 nosalt', 'rp1 trailing.', ' .x', 42, 'x'.repeat(5000)]) {
      assert.equal(await op.post(bad), 'error', String(bad).slice(0, 20));
    }
    const good = sessionState('rp1', 'https://rp.example', state, 'salt1');
    assert.equal(await opFrame(cookie, { subtle: false }).post(`rp1 ${good}`), 'error');
  });

  test('"It MUST reject postMessage requests from any other source" than the parent frame', async () => {
    const op = opFrame(cookie);
    assert.equal(await op.post(`rp1 ${sessionState('rp1', 'https://rp.example', state, 'salt1')}`, 'https://rp.example', 'stranger'), undefined);
    assert.equal(op.answers.length, 0);
  });
});
