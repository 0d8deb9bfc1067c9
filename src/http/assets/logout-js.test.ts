import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { LOGOUT_JS } from './logout-js.ts';

function page(frames: number, link: { href: string; wait?: string } | null) {
  const assigned: string[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const iframes = Array.from({ length: frames }, () => {
    const handlers: Record<string, () => void> = {};
    return {
      handlers,
      addEventListener: (t: string, fn: () => void) => {
        handlers[t] = fn;
      },
    };
  });
  const document = {
    getElementById: (id: string) => (id === 'gh-continue' && link ? { href: link.href, getAttribute: () => link.wait ?? null } : null),
    querySelectorAll: (sel: string) => (sel === 'iframe.gh-frontchannel' ? iframes : []),
  };
  const window = {
    location: {
      assign: (u: string) => {
        assigned.push(u);
      },
    },
  };
  runInNewContext(LOGOUT_JS, {
    document,
    window,
    setTimeout: (fn: () => void, ms: number) => {
      timers.push({ fn, ms });
    },
  });
  return { assigned, timers, iframes };
}

describe('RP-Initiated Logout §3 redirection after front-channel notification (/assets/logout.js)', () => {
  test('continues once every iframe has loaded, once', () => {
    const p = page(2, { href: 'https://rp.example/bye?state=s' });
    assert.deepEqual(p.assigned, []);
    p.iframes[0]!.handlers['load']!();
    assert.deepEqual(p.assigned, []);
    p.iframes[1]!.handlers['error']!();
    assert.deepEqual(p.assigned, ['https://rp.example/bye?state=s']);
    p.timers[0]!.fn();
    assert.equal(p.assigned.length, 1);
  });

  test('an RP that never answers does not hold the user: the timer continues', () => {
    const p = page(1, { href: 'https://rp.example/bye', wait: '1500' });
    assert.equal(p.timers[0]!.ms, 1500);
    p.timers[0]!.fn();
    assert.deepEqual(p.assigned, ['https://rp.example/bye']);
  });

  test('without iframes it continues at once; without a link it does nothing', () => {
    assert.deepEqual(page(0, { href: 'https://rp.example/bye' }).assigned, ['https://rp.example/bye']);
    const none = page(2, null);
    assert.deepEqual(none.assigned, []);
    assert.equal(none.timers.length, 0);
  });
});
