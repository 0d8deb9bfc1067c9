import { epochSeconds, type Clock } from '../ports/clock.ts';
import type { KeyStore } from '../ports/key-store.ts';
import type { ActorRef, EventPublisher } from '../events.ts';
import type { SigningAlg, SigningKeyRecord } from '../model/key.ts';
import type { TenantId } from '../model/tenant.ts';
import type { JsonWebKeySet, JwtSigner, KeyRing, VerifiedJwt } from './key-ring.ts';
import { GatehouseError } from '../errors.ts';
import { createJwtSigner, verifyJws, verifyJwsAsync, type VerificationKey } from './jwt-signer.ts';
import { kekId, kekRing, sealedKekId, sealWithRing, type KekRing } from './kek.ts';
import {
  describeError,
  isPublished,
  newKeyRecord,
  openPrivateJwk,
  openPrivateKey,
  openPublicKey,
  pickKey,
  publicMembers,
  publishOrder,
} from './key-records.ts';

export interface KeyManagerDeps {
  readonly keyStore: KeyStore;
  readonly clock: Clock;
  readonly events: EventPublisher;
  readonly kek: Buffer;
  /** Earlier KEKs (GATEHOUSE_KEK_PREVIOUS): open keys sealed before a KEK rotation; never seal. */
  readonly kekPrevious?: readonly Buffer[];
  readonly tenantId: TenantId;
  /** Where background refresh failures are reported (never with secrets). Default: silent. */
  readonly log?: (level: 'warn' | 'error', message: string) => void;
}

export interface KeyManagerConfig {
  readonly keys: {
    readonly algorithms: readonly SigningAlg[];
    readonly rotationInterval: number;
    readonly gracePeriod: number;
    readonly refreshInterval: number;
  };
}

/** How many store round trips `#ensure` may take before it calls the store inconsistent. */
const ENSURE_ATTEMPTS = 5;

/**
 * The server's signing keys: loads them from the KeyStore, opens the active ones with the KEK,
 * signs and verifies JWTs, and rotates through the store's compare-and-set.
 *
 * Concurrency: every change goes through `KeyStore.rotate`, a compare-and-set on the active kid,
 * so N instances starting or rotating at once change the store once and then converge on what it
 * holds. Bootstrapping an empty store is two CAS rotations guarded by "no active key"
 * (`expectedActiveKid: null`): the first publishes a `next` key, the second promotes it and adds a
 * new `next`. A loser's CAS returns false, it re-reads and finds the winner's keys; no instance
 * ever inserts an `active` key directly, so two actives cannot arise from a race.
 */
export class KeyManager implements KeyRing {
  readonly #deps: KeyManagerDeps;
  readonly #algs: readonly SigningAlg[];
  readonly #cfg: KeyManagerConfig['keys'];
  #records: readonly SigningKeyRecord[] = [];
  #signers = new Map<SigningAlg, JwtSigner>();
  /** Opened keys by kid, reused across refreshes so a key is decrypted and imported once. */
  #signerCache = new Map<string, JwtSigner>();
  #publicCache = new Map<string, VerificationKey>();
  #published = new Map<string, VerificationKey>();
  #jwks: JsonWebKeySet = Object.freeze({ keys: Object.freeze([]) });
  #jwksKids = '';
  /** Earliest `retiresAt` among published retired keys: the JWKS changes then, refresh or not. */
  #nextExpiry = Infinity;
  #loadSeq = 0;
  #appliedSeq = 0;
  #ready = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticking = false;

  readonly #ring: KekRing;

  constructor(deps: KeyManagerDeps, config: KeyManagerConfig) {
    this.#deps = deps;
    this.#ring = kekRing(deps.kek, deps.kekPrevious ?? []);
    this.#cfg = config.keys;
    this.#algs = [...new Set(config.keys.algorithms)];
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Loads keys; generates `active` + `next` for any configured alg that has none. */
  async init(): Promise<void> {
    await this.load();
    const missing = this.#algs.filter((alg) => !pickKey(this.#records, alg, 'active') || !pickKey(this.#records, alg, 'next'));
    // Algorithms are independent in the store; RSA generation dominates, so run them together.
    await Promise.all(missing.map((alg) => this.#ensure(alg)));
    if (missing.length) await this.load();
    if (!this.#ready) throw new GatehouseError('GH_KEYS_NOT_LOADED', 'no active signing key after initialisation');
  }

  /** Reads the keys from the store and makes them current, changing nothing in the store. */
  async load(): Promise<void> {
    const seq = ++this.#loadSeq;
    const records = await this.#deps.keyStore.list(this.#deps.tenantId);
    // A slower, older read must not overwrite a newer one (refresh racing a rotation).
    if (seq < this.#appliedSeq) return;
    this.#apply(records);
    this.#appliedSeq = seq;
  }

  /**
   * The periodic maintenance (every keys.refreshInterval): reloads keys, repairs a configured alg
   * that lacks keys, performs scheduled rotation when the active key is older than
   * keys.rotationInterval, and purges retired keys past `retiresAt`. On failure it throws and
   * the last good keys stay in use.
   */
  async refresh(): Promise<void> {
    await this.load();
    const now = epochSeconds(this.#deps.clock);
    let changed = false;
    for (const alg of this.#algs) {
      const active = pickKey(this.#records, alg, 'active');
      const next = pickKey(this.#records, alg, 'next');
      if (!active || !next) {
        await this.#ensure(alg);
        changed = true;
      } else if (this.#cfg.rotationInterval > 0 && now - (active.activatedAt ?? active.createdAt) >= this.#cfg.rotationInterval) {
        // Concurrent instances see the same overdue key; the CAS lets exactly one rotate it.
        // Won or lost, the store changed: reload below.
        await this.#advance(alg, active, next);
        changed = true;
      }
    }
    // A retired key leaves the JWKS at `retiresAt` (see isPublished); from then on it is purged.
    if (this.#records.some((r) => r.status === 'retired' && r.retiresAt !== null && r.retiresAt <= now)) {
      changed = (await this.#deps.keyStore.purgeRetired(this.#deps.tenantId, now + 1)) > 0 || changed;
    }
    if (changed) await this.load();
  }

  /** Rotates `algs` (default: all configured); `actor` (an operator) is put on `key.rotated`. Returns the new state. */
  async rotate(algs: readonly SigningAlg[] = this.#algs, actor?: ActorRef): Promise<SigningKeyRecord[]> {
    const unknown = algs.filter((a) => !this.#algs.includes(a));
    if (unknown.length) throw new GatehouseError('GH_KEYS_ALG_NOT_CONFIGURED', `not a configured signing algorithm: ${unknown.join(', ')}`);
    for (const alg of new Set(algs)) {
      const records = await this.#deps.keyStore.list(this.#deps.tenantId);
      const active = pickKey(records, alg, 'active');
      const next = pickKey(records, alg, 'next');
      // Without both keys there is nothing to promote yet: set them up instead.
      if (!active || !next) await this.#ensure(alg);
      // A lost CAS means another instance rotated this alg just now: the operator's intent holds.
      else await this.#advance(alg, active, next, actor);
    }
    await this.load();
    return [...this.#records];
  }

  /**
   * Starts the refresh timer (unref'd); it also drives scheduled rotation and purging. A failed
   * tick is reported through `deps.log` and the last good keys stay. keys.refreshInterval = 0
   * means no timer: this instance then sees other instances' rotations only on restart.
   */
  start(): void {
    if (this.#timer || this.#cfg.refreshInterval <= 0) return;
    this.#timer = setInterval(() => {
      void this.#tick();
    }, this.#cfg.refreshInterval * 1000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Every stored key of this tenant (private parts still sealed), newest first per status. */
  /**
   * KEK rotation (`gatehouse kek rotate`): re-seals every stored private key (every status) that
   * is not sealed under the current KEK, one compare-and-set per key (`KeyStore.reseal`), so it is
   * idempotent, resumable and safe while servers run: a reader holding both KEKs opens either
   * envelope. A key that no configured KEK opens is reported by kid, never half-written.
   */
  async resealAll(): Promise<{ keys: number; resealed: number; alreadyCurrent: number; failed: { kid: string; reason: string }[]; kekId: string }> {
    const current = kekId(this.#ring.current);
    const failed: { kid: string; reason: string }[] = [];
    let resealed = 0;
    let alreadyCurrent = 0;
    const records = await this.#deps.keyStore.list(this.#deps.tenantId);
    for (const rec of records) {
      if (sealedKekId(rec.privateJwkEncrypted) === current) {
        alreadyCurrent++;
        continue;
      }
      let jwk: string;
      try {
        jwk = openPrivateJwk(rec, this.#ring);
      } catch (e) {
        failed.push({ kid: rec.kid, reason: describeError(e) });
        continue;
      }
      // Lost the compare: another process re-sealed (or purged) it meanwhile; nothing to do.
      if (await this.#deps.keyStore.reseal(this.#deps.tenantId, rec.kid, rec.privateJwkEncrypted, sealWithRing(this.#ring, jwk, rec.kid))) resealed++;
      else alreadyCurrent++;
    }
    return { keys: records.length, resealed, alreadyCurrent, failed, kekId: current };
  }

  list(): readonly SigningKeyRecord[] {
    return this.#records;
  }

  signer(alg: SigningAlg): JwtSigner {
    const s = this.#signers.get(alg);
    if (!s) throw new GatehouseError('GH_KEYS_NOT_LOADED', `no active ${alg} signing key loaded`);
    return s;
  }

  jwks(): JsonWebKeySet {
    this.#expire();
    return this.#jwks;
  }

  verify(token: string): VerifiedJwt | null {
    this.#expire();
    return verifyJws(token, (kid) => this.#published.get(kid));
  }

  verifyAsync(token: string): Promise<VerifiedJwt | null> {
    this.#expire();
    return verifyJwsAsync(token, (kid) => this.#published.get(kid));
  }

  async #tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      await this.refresh();
    } catch (e) {
      this.#deps.log?.('warn', `signing keys: refresh failed, keeping the last loaded keys (${describeError(e)})`);
    } finally {
      this.#ticking = false;
    }
  }

  /**
   * Brings `alg` to an active and a next key using only the CAS (see the class comment), then
   * stops as soon as the store holds both, whoever wrote them.
   */
  async #ensure(alg: SigningAlg): Promise<void> {
    for (let i = 0; i < ENSURE_ATTEMPTS; i++) {
      const records = await this.#deps.keyStore.list(this.#deps.tenantId);
      const active = pickKey(records, alg, 'active');
      const next = pickKey(records, alg, 'next');
      if (active && next) return;
      if (active) {
        // Only reachable by editing the store by hand: the CAS always leaves a next key behind.
        // Stores refuse a second `next` key (GH_CONFLICT): then another instance won; re-read.
        const rec = await newKeyRecord(alg, this.#deps.tenantId, this.#ring, epochSeconds(this.#deps.clock));
        try {
          await this.#deps.keyStore.insert(rec);
          this.#deps.events.publish('key.created', { tenantId: rec.tenantId, kid: rec.kid, alg, status: rec.status });
        } catch (e) {
          if (!(e instanceof GatehouseError && e.code === 'GH_CONFLICT')) throw e;
        }
        continue;
      }
      await this.#advance(alg, null, next ?? null);
    }
    throw new GatehouseError('GH_KEYS_NOT_LOADED', `the key store did not settle on an active ${alg} key`);
  }

  /** One CAS rotation: next → active, active → retired (until now + gracePeriod), a new next. */
  async #advance(alg: SigningAlg, active: SigningKeyRecord | null, next: SigningKeyRecord | null, actor?: ActorRef): Promise<boolean> {
    const at = epochSeconds(this.#deps.clock);
    const newNext = await newKeyRecord(alg, this.#deps.tenantId, this.#ring, at);
    const ok = await this.#deps.keyStore.rotate({
      tenantId: this.#deps.tenantId,
      alg,
      expectedActiveKid: active?.kid ?? null,
      newNext,
      at,
      retiresAt: at + this.#cfg.gracePeriod,
    });
    if (!ok) return false;
    const tenantId = this.#deps.tenantId;
    this.#deps.events.publish('key.created', { tenantId, kid: newNext.kid, alg, status: 'next' });
    // First start promotes a next key with nothing to retire: that is creation, not rotation.
    if (next && active)
      this.#deps.events.publish('key.rotated', {
        tenantId,
        alg,
        activeKid: next.kid,
        retiredKid: active.kid,
        nextKid: newNext.kid,
        ...(actor ? { actor } : {}),
      });
    return true;
  }

  /** Builds the whole new state first (opening keys may throw), then swaps it in at once. */
  #apply(records: readonly SigningKeyRecord[]): void {
    const signers = new Map<SigningAlg, JwtSigner>();
    const signerCache = new Map<string, JwtSigner>();
    for (const alg of this.#algs) {
      const rec = pickKey(records, alg, 'active');
      if (!rec) continue;
      const s = this.#signerCache.get(rec.kid) ?? createJwtSigner(rec.kid, alg, openPrivateKey(rec, this.#ring));
      signers.set(alg, s);
      signerCache.set(rec.kid, s);
    }
    const publicCache = new Map<string, VerificationKey>();
    const now = epochSeconds(this.#deps.clock);
    for (const r of records) {
      if (!isPublished(r, now, this.#algs)) continue;
      publicCache.set(r.kid, this.#publicCache.get(r.kid) ?? { alg: r.alg, publicKey: openPublicKey(r) });
    }
    this.#records = Object.freeze(publishOrder(records, this.#algs));
    this.#signers = signers;
    this.#signerCache = signerCache;
    this.#publicCache = publicCache;
    this.#ready = this.#algs.every((a) => signers.has(a));
    this.#publish(now);
  }

  /** Recomputes the published set; the JWKS object stays the same while its kids do. */
  #publish(now: number): void {
    const published = this.#records.filter((r) => isPublished(r, now, this.#algs));
    const map = new Map<string, VerificationKey>();
    for (const r of published) {
      const k = this.#publicCache.get(r.kid);
      if (k) map.set(r.kid, k);
    }
    this.#published = map;
    this.#nextExpiry = Math.min(Infinity, ...published.map((r) => (r.status === 'retired' && r.retiresAt !== null ? r.retiresAt : Infinity)));
    const kids = published.map((r) => r.kid).join(' ');
    if (kids !== this.#jwksKids) {
      this.#jwksKids = kids;
      this.#jwks = Object.freeze({ keys: Object.freeze(published.map((r) => publicMembers(r.publicJwk))) });
    }
  }

  #expire(): void {
    if (this.#nextExpiry === Infinity) return;
    const now = epochSeconds(this.#deps.clock);
    if (now >= this.#nextExpiry) this.#publish(now);
  }
}
