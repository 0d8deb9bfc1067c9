import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { registerAdminApiRoutes } from './admin-api/routes.ts';
import { registerAdminMcpRoutes } from './admin-mcp.ts';
import { registerAssetRoutes } from './assets.ts';
import { registerAuthorizeRoutes } from './authorize.ts';
import { registerCheckSessionRoute } from './check-session.ts';
import { registerConsoleRoutes } from './console.ts';
import { registerDeviceAuthorizationRoute } from './device-authorization.ts';
import { registerDeviceRoutes } from './device.ts';
import { registerDiscoveryRoutes } from './discovery.ts';
import { registerEndSessionRoutes } from './end-session.ts';
import { registerInteractionRoutes } from './interaction.ts';
import { registerIntrospectionRoute } from './introspection.ts';
import { registerJwksRoute } from './jwks.ts';
import { registerParRoute } from './par.ts';
import { registerRegistrationRoutes } from './registration.ts';
import { registerRevocationRoute } from './revocation.ts';
import { registerTokenRoute } from './token.ts';
import { registerUserInfoRoute } from './userinfo.ts';

/** Every route module, in registration order. Each exports `(app, ctx) => void`. */
export type RouteModule = (app: FastifyInstance, ctx: AppContext) => void | Promise<void>;

export const routeModules: readonly RouteModule[] = [
  registerTokenRoute,
  registerAuthorizeRoutes,
  registerInteractionRoutes,
  registerAssetRoutes,
  registerDeviceAuthorizationRoute,
  registerParRoute,
  registerDeviceRoutes,
  registerIntrospectionRoute,
  registerRevocationRoute,
  registerUserInfoRoute,
  registerEndSessionRoutes,
  registerCheckSessionRoute,
  registerDiscoveryRoutes,
  registerJwksRoute,
  registerRegistrationRoutes,
  registerAdminApiRoutes,
  registerAdminMcpRoutes,
  registerConsoleRoutes,
];
