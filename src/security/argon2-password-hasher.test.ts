import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { hashSync } from '@node-rs/argon2';
import { cheapParamsForTests, createArgon2PasswordHasher, createGate, OWASP_ARGON2ID } from './argon2-password-hasher.ts';

const owasp = createArgon2PasswordHasher();

describe('argon2id password hasher (S5, OWASP Password Storage Cheat Sheet)', () => {
  test('OWASP argon2id m=19456 KiB, t=2, p=1 is the default, in a PHC string with a fresh salt', async () => {
    const a = await owasp.hash('correct horse battery staple');
    const b = await owasp.hash('correct horse battery staple');
    assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.notEqual(a, b, 'each hash has its own random salt');
    assert.equal(await owasp.verify(a, 'correct horse battery staple'), true);
    assert.equal(await owasp.verify(a, 'correct horse battery stapl'), false);
    assert.equal(owasp.needsRehash(a), false);
  });

  test('verify answers false, never throws, for a malformed or foreign hash', async () => {
    for (const phc of ['', 'plain', '$argon2id$v=19$m=19456,t=2,p=1$broken', '$2b$10$abcdefghijklmnopqrstuv']) {
      assert.equal(await owasp.verify(phc, 'whatever1'), false, phc);
      assert.equal(owasp.needsRehash(phc), true, phc);
    }
  });

  test('a cheaper parameter set is used only when asked for, and is flagged for rehash by the OWASP hasher', async () => {
    const cheap = createArgon2PasswordHasher({ params: cheapParamsForTests });
    const h = await cheap.hash('pw-12345678');
    assert.match(h, /^\$argon2id\$v=19\$m=256,t=1,p=1\$/);
    assert.equal(await owasp.verify(h, 'pw-12345678'), true, 'verification reads the cost from the hash');
    assert.equal(owasp.needsRehash(h), true);
    assert.equal(cheap.needsRehash(await owasp.hash('pw-12345678')), true);
    assert.deepEqual(OWASP_ARGON2ID, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
  });

  test('hashing runs off the event loop: 8 concurrent hashes keep p99 event-loop delay well below one hash', async () => {
    // OWASP memory (19 MiB) with a higher time cost, so that one hash (~80 ms here) stands well
    // above OS scheduling noise on a loaded 2-core machine. Were hashing on the event loop, the
    // loop would stall for at least one whole hash; off it, only scheduling jitter remains.
    const slow = createArgon2PasswordHasher({ params: { ...OWASP_ARGON2ID, timeCost: 24 } });
    const password = 'a password of reasonable length';
    await slow.hash(password); // warm up the native module and the thread pool

    // Control: the same work done synchronously on the main thread. Its duration is "one hash"
    // under the machine's current load, and it must show up as delay: the measurement can
    // detect blocking.
    const control = monitorEventLoopDelay({ resolution: 1 });
    control.enable();
    await new Promise((r) => setTimeout(r, 5));
    const t0 = performance.now();
    hashSync(password, { ...OWASP_ARGON2ID, timeCost: 24 }); // argon2id is the library default
    const oneHashMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 5));
    control.disable();
    assert.ok(
      control.max / 1e6 >= oneHashMs * 0.8,
      `a synchronous hash blocks the loop (max delay ${(control.max / 1e6).toFixed(1)} ms, one hash ${oneHashMs.toFixed(1)} ms)`,
    );

    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const hashes = await Promise.all(Array.from({ length: 8 }, () => slow.hash(password)));
    h.disable();
    const p99Ms = h.percentile(99) / 1e6;
    assert.equal(new Set(hashes).size, 8);
    assert.ok(p99Ms < oneHashMs / 3, `p99 event-loop delay ${p99Ms.toFixed(1)} ms while hashing; one hash takes ${oneHashMs.toFixed(1)} ms`);
  });
});

describe('argon2id concurrency gate (one libuv pool thread stays free for token signatures)', () => {
  test('never runs more than the limit at once, in FIFO order, and every job settles', async () => {
    const gate = createGate(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const jobs = [0, 1, 2, 3, 4].map((i) =>
      gate(async () => {
        started.push(i);
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => releases.push(r));
        running--;
        if (i === 3) throw new Error('job 3 failed');
        return i;
      }),
    );
    const settled = Promise.allSettled(jobs);
    while (started.length < 5) {
      await new Promise((r) => setImmediate(r));
      assert.ok(running <= 2, `running ${running}`);
      releases.shift()?.();
    }
    releases.forEach((r) => r());
    const results = await settled;
    assert.equal(peak, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
    );
    // A failed job released its slot: a later call still runs.
    assert.equal(await gate(async () => 'after'), 'after');
  });

  test('NIST SP 800-63B §5.2.2 (CWE-770): a full queue refuses at once with GH_BUSY, computing nothing, and frees again', async () => {
    const gate = createGate(1, 2);
    let release!: () => void;
    const first = gate(
      () =>
        new Promise<string>((r) => {
          release = () => r('first');
        }),
    );
    const queued = [gate(async () => 'q1'), gate(async () => 'q2')];
    let ran = false;
    await assert.rejects(
      gate(async () => {
        ran = true;
      }),
      (e: unknown) => (e as { code?: string }).code === 'GH_BUSY',
    );
    assert.equal(ran, false);
    release();
    assert.deepEqual(await Promise.all([first, ...queued]), ['first', 'q1', 'q2']);
    assert.equal(await gate(async () => 'after'), 'after');
    const hasher = createArgon2PasswordHasher({ params: cheapParamsForTests, concurrency: 1, maxQueue: 0 });
    const phc = await hasher.hash('password one');
    const both = await Promise.allSettled([hasher.verify(phc, 'password one'), hasher.verify(phc, 'password one')]);
    assert.deepEqual(
      both.map((r) => r.status),
      ['fulfilled', 'rejected'],
      'verify reports a full queue instead of a wrong password',
    );
  });

  test('a hasher gated to one job at a time still answers every concurrent verification correctly', async () => {
    const gated = createArgon2PasswordHasher({ params: cheapParamsForTests, concurrency: 1 });
    const phc = await gated.hash('pw');
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => gated.verify(phc, i % 2 ? 'pw' : 'nope')));
    assert.deepEqual(results, [false, true, false, true]);
  });
});
