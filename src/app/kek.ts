import { z } from 'zod';
import { GatehouseError } from '../core/errors.ts';
import { defineUseCase } from './use-case.ts';

export const rotateKekUseCase = defineUseCase({
  name: 'kek.rotate',
  summary:
    'Re-seal every stored signing key and sealed client secret under the current KEK (GATEHOUSE_KEK); keys sealed under a KEK in GATEHOUSE_KEK_PREVIOUS are opened with it. Idempotent, one compare-and-set per key',
  role: 'admin',
  input: z.strictObject({}),
  event: 'kek.rotated',
  // One compare-and-set per key and secret, each kept on its own: a re-seal is idempotent and
  // partial success is reported (GH_KEK_DECRYPT_FAILED), never rolled back.
  transactional: false,
  handle: async (ctx) => {
    const r = await ctx.deps.keys.resealAll();
    const c = await ctx.deps.clientService.resealSecrets();
    ctx.emit({ kekId: r.kekId, keys: r.keys, resealed: r.resealed, failed: r.failed.length + c.failed.length, clientSecrets: c.resealed });
    const failed = [...r.failed.map((f) => `signing key ${f.kid} (${f.reason})`), ...c.failed.map((f) => `client ${f.clientId} secret (${f.reason})`)];
    if (failed.length) {
      // What could be re-sealed was; the rest is named with why (no configured KEK opens it).
      throw new GatehouseError(
        'GH_KEK_DECRYPT_FAILED',
        `re-sealed ${r.resealed} of ${r.keys} signing keys and ${c.resealed} of ${c.secrets} client secrets; ${failed.length} could not be opened: ${failed.join('; ')}`,
      );
    }
    return {
      kek_id: r.kekId,
      keys: r.keys,
      resealed: r.resealed,
      already_current: r.alreadyCurrent,
      client_secrets: c.secrets,
      client_secrets_resealed: c.resealed,
    };
  },
});

export const kekUseCases = { rotate: rotateKekUseCase } as const;
