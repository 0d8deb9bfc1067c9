import { z } from 'zod';
import { GatehouseError } from '../core/errors.ts';
import { defineUseCase } from './use-case.ts';

export const rotateKekUseCase = defineUseCase({
  name: 'kek.rotate',
  summary:
    'Re-seal every stored signing key under the current KEK (GATEHOUSE_KEK); keys sealed under a KEK in GATEHOUSE_KEK_PREVIOUS are opened with it. Idempotent, one compare-and-set per key',
  role: 'admin',
  input: z.strictObject({}),
  event: 'kek.rotated',
  handle: async (ctx) => {
    const r = await ctx.deps.keys.resealAll();
    ctx.emit({ kekId: r.kekId, keys: r.keys, resealed: r.resealed, failed: r.failed.length });
    if (r.failed.length) {
      // What could be re-sealed was; the rest names its kid and why (no configured KEK opens it).
      throw new GatehouseError(
        'GH_KEK_DECRYPT_FAILED',
        `re-sealed ${r.resealed} of ${r.keys} signing keys; ${r.failed.length} could not be opened: ${r.failed.map((f) => `${f.kid} (${f.reason})`).join('; ')}`,
      );
    }
    return { kek_id: r.kekId, keys: r.keys, resealed: r.resealed, already_current: r.alreadyCurrent };
  },
});

export const kekUseCases = { rotate: rotateKekUseCase } as const;
