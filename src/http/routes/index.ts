import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';

/** Every route module, in registration order. Each exports `(app, ctx) => void`. */
export type RouteModule = (app: FastifyInstance, ctx: AppContext) => void | Promise<void>;

export const routeModules: readonly RouteModule[] = [
];
