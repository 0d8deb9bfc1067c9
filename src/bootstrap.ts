import type { AppContext } from './http/context.ts';

/**
 * Development first start: when the store has no clients yet, create a demo confidential
 * client (client_credentials) and print its secret once. Never runs in production.
 */
export async function bootstrapDevelopment(ctx: AppContext, out: (text: string) => void): Promise<void> {
  if (ctx.config.env !== 'development') return;
  void out; // filled in once src/core/clients lands
}
