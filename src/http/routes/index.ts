import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { registerAdminKeyRoutes } from './admin-keys.ts';
import { registerJwksRoute } from './jwks.ts';

/** Every route module, in registration order. Each exports `(app, ctx) => void`. */
export type RouteModule = (app: FastifyInstance, ctx: AppContext) => void | Promise<void>;

export const routeModules: readonly RouteModule[] = [
  registerJwksRoute,
  registerAdminKeyRoutes,
];
