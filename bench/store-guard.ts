/**
 * Per-call cost of the store guard (src/resilience/store-guard.ts): 1e6 sequential calls of a
 * port method that answers at once, unguarded and through the `store` policy (breaker, deadline,
 * bulkhead) with the default `resilience.store` settings; and, for the record, cockatiel's own
 * TimeoutPolicy (1e5 calls: it is the reason the deadline is not cockatiel's).
 *
 *   node --import tsx bench/store-guard.ts
 */
import { timeout, TimeoutStrategy } from 'cockatiel';
import { configSchema } from '../src/config/schema.ts';
import { EventBus } from '../src/core/events.ts';
import { createMemoryStorage } from '../src/storage/memory/memory-storage.ts';
import { createResilience } from '../src/resilience/index.ts';
import { guardStorage } from '../src/resilience/store-guard.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const config = configSchema.parse({});
const resilience = createResilience(config, { events: new EventBus(), log: () => {} });
const raw = createMemoryStorage();
const guarded = guardStorage(raw, resilience.store, new Set(['read', 'write']));
const tenant = 'default';

async function measure(name: string, calls: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(calls, 100_000); i++) await fn();
  const t = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await fn();
  const ns = Number(process.hrtime.bigint() - t) / calls;
  console.log(`${name.padEnd(44)} ${ns.toFixed(0).padStart(7)} ns/call  (${calls.toLocaleString('en')} calls)`);
  return ns;
}

const direct = await measure('tokens.find, unguarded', N, () => raw.tokens.find(tenant, 'h'));
const read = await measure('tokens.find, guarded read (2 s deadline)', N, () => guarded.tokens.find(tenant, 'h'));
const directWrite = await measure('denylist.add, unguarded', N, () => raw.denylist.add(tenant, 'j', 1));
const write = await measure('denylist.add, guarded write (5 s deadline)', N, () => guarded.denylist.add(tenant, 'j', 1));
const cockatielTimeout = timeout(2000, TimeoutStrategy.Aggressive);
const ct = await measure('tokens.find in cockatiel TimeoutPolicy alone', Math.ceil(N / 10), () => cockatielTimeout.execute(() => raw.tokens.find(tenant, 'h')));
console.log(
  `\noverhead per guarded call: read ${(read - direct).toFixed(0)} ns, write ${(write - directWrite).toFixed(0)} ns; cockatiel TimeoutPolicy alone ${(ct - direct).toFixed(0)} ns`,
);
