/** `gatehouse/resource-server` (package.json "exports"): the kit's public surface. See docs/resource-servers.md. */
export * from './index.ts';
export { gatehouseResourceServer, type GatehouseResourceServerOptions } from './fastify.ts';
