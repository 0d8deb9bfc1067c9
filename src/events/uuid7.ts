import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(16 * 256);
let poolAt = pool.length;
let lastMs = -1;
let seq = 0;

/**
 * RFC 9562 §5.7 UUID version 7: 48-bit Unix milliseconds, then random bits. Within one process the
 * ids are strictly increasing (§6.2 method 1: the 12-bit `rand_a` field is a counter restarted at
 * a random value each millisecond, and the millisecond moves on when it overflows), so sorting by
 * id is sorting by creation (across instances, as far as their clocks agree).
 */
export function uuidv7(nowMs: number): string {
  let ms = Math.max(Math.floor(nowMs), lastMs);
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const b = pool.subarray(poolAt, poolAt + 16);
  poolAt += 16;
  if (ms === lastMs) {
    seq++;
    if (seq > 0xfff) {
      ms++;
      seq = b[6]! & 0x7f;
    }
  } else seq = ((b[6]! & 0x07) << 8) | b[7]!;
  lastMs = ms;
  const out = Buffer.from(b);
  out.writeUIntBE(ms, 0, 6);
  out[6] = 0x70 | (seq >> 8);
  out[7] = seq & 0xff;
  out[8] = (out[8]! & 0x3f) | 0x80;
  const h = out.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
