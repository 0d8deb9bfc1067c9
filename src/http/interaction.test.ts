import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { deriveKey, encryptWithKek } from '../core/keys/kek.ts';
import { createInteractionSealer, NO_PROGRESS } from './interaction.ts';

function setup(kek = randomBytes(32)) {
  const clock = {
    t: 1_700_000_000_000,
    now() {
      return this.t;
    },
  };
  return { clock, sealer: createInteractionSealer(kek, clock, { authorization: { interactionTtl: 900 } as never }), kek };
}

describe('sealed interaction', () => {
  const params = { client_id: 'c', redirect_uri: 'https://rp/cb', state: 'x' };

  test('round trip on another instance sharing the KEK; progress and expiry carried', () => {
    const a = setup();
    const b = setup(a.kek);
    const sealed = a.sealer.seal({ params, progress: { ...NO_PROGRESS, loginAt: 123, confirmedSid: 'sid-9' } }, 'bind-1');
    assert.doesNotMatch(sealed, /rp\/cb|client_id/, 'the parameters are encrypted, not just signed');
    const opened = b.sealer.open(sealed, 'bind-1');
    assert.ok(opened.ok);
    assert.deepEqual({ ...opened.interaction.params }, params);
    assert.deepEqual(opened.interaction.progress, { loginAt: 123, consentedSid: null, confirmedSid: 'sid-9', accountChosen: false });
    assert.equal(opened.interaction.expiresAt, 1_700_000_000 + 900);
  });

  test('re-sealing keeps the original expiry', () => {
    const { sealer, clock } = setup();
    const first = sealer.open(sealer.seal({ params, progress: NO_PROGRESS }, 'b'), 'b');
    assert.ok(first.ok);
    clock.t += 600_000;
    const again = sealer.open(sealer.seal({ params, progress: NO_PROGRESS, expiresAt: first.interaction.expiresAt }, 'b'), 'b');
    assert.ok(again.ok);
    assert.equal(again.interaction.expiresAt, first.interaction.expiresAt);
  });

  test('tampered, foreign-KEK, other-browser and expired interactions are refused', () => {
    const { sealer, clock } = setup();
    const sealed = sealer.seal({ params, progress: NO_PROGRESS }, 'b');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[2]!, 'base64url');
    flipped[0]! ^= 1;
    parts[2] = flipped.toString('base64url');
    assert.deepEqual(sealer.open(parts.join('.'), 'b'), { ok: false, reason: 'malformed' });
    assert.deepEqual(setup().sealer.open(sealed, 'b'), { ok: false, reason: 'malformed' });
    assert.deepEqual(sealer.open('garbage', 'b'), { ok: false, reason: 'malformed' });
    assert.deepEqual(sealer.open(undefined, 'b'), { ok: false, reason: 'malformed' });
    assert.deepEqual(sealer.open(sealed, 'another'), { ok: false, reason: 'other_browser' });
    assert.deepEqual(sealer.open(sealed, undefined), { ok: false, reason: 'other_browser' });
    clock.t += 900_000;
    assert.deepEqual(sealer.open(sealed, 'b'), { ok: false, reason: 'expired' });
  });

  test('an interaction sealed before confirmedSid existed still opens (confirmedSid null); a wrong type is refused', () => {
    const { sealer, kek, clock } = setup();
    const seal = (g: Record<string, unknown>) =>
      encryptWithKek(deriveKey(kek, 'gatehouse interaction v1'), JSON.stringify({ p: params, g, e: clock.t / 1000 + 60, b: 'b' }), 'gatehouse-interaction-v1');
    const old = sealer.open(seal({ l: 5, c: 'sid-1', a: true }), 'b');
    assert.ok(old.ok);
    assert.deepEqual(old.interaction.progress, { loginAt: 5, consentedSid: 'sid-1', confirmedSid: null, accountChosen: true });
    assert.deepEqual(sealer.open(seal({ l: null, c: null, f: 7, a: false }), 'b'), { ok: false, reason: 'malformed' });
  });

  test('the pages language travels sealed (OIDC Core §3.1.2.1 ui_locales chosen once); one sealed without it opens with null', () => {
    const { sealer, kek, clock } = setup();
    const withLocale = sealer.open(sealer.seal({ params, progress: NO_PROGRESS, locale: 'de' }, 'b'), 'b');
    assert.ok(withLocale.ok);
    assert.equal(withLocale.interaction.locale, 'de');
    const without = sealer.open(sealer.seal({ params, progress: NO_PROGRESS }, 'b'), 'b');
    assert.ok(without.ok);
    assert.equal(without.interaction.locale, null);
    const forged = encryptWithKek(
      deriveKey(kek, 'gatehouse interaction v1'),
      JSON.stringify({ p: params, l: 42, g: { l: null, c: null, a: false }, e: clock.t / 1000 + 60, b: 'b' }),
      'gatehouse-interaction-v1',
    );
    assert.deepEqual(sealer.open(forged, 'b'), { ok: false, reason: 'malformed' });
  });
});
