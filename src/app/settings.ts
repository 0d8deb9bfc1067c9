import { z } from 'zod';
import { defineUseCase } from './use-case.ts';

/**
 * `settings.show`: the effective configuration of this process (file, environment and defaults
 * merged and validated at boot), secrets redacted by the composition root before they reach here.
 *
 * Read-only on purpose: config is validated once at boot and frozen (S8), every instance of a
 * deployment reads the same file/environment, and most settings are wired into objects built once
 * (store, key manager, limiters, sinks). A runtime write would apply to one instance until its
 * restart and silently disagree with the others and with the deployment's own files; change the
 * file or environment (Helm values, compose) and roll the instances instead.
 */
export const showSettingsUseCase = defineUseCase({
  name: 'settings.show',
  summary: 'The effective configuration of this instance, secrets redacted (read-only: change config files or environment and restart)',
  role: 'viewer',
  input: z.strictObject({}),
  event: null,
  handle: async (ctx): Promise<Readonly<Record<string, unknown>>> => ctx.deps.settings?.() ?? {},
});

export const settingsUseCases = { show: showSettingsUseCase } as const;
