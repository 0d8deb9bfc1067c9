/** `gatehouse/resource-server` (package.json "exports"): the kit's public surface. See docs/resource-servers.md. */
export * from './index.ts';
export { gatehouseResourceServer, type GatehouseResourceServerOptions, requireTransactionToken } from './fastify.ts';
export {
  createTransactionTokenVerifier,
  TransactionTokenError,
  type TransactionTokenVerifier,
  type TransactionTokenVerifierOptions,
  TXN_TOKEN_HEADER,
  TXN_TOKEN_TYP,
  type VerifiedTransactionToken,
  verifyTransactionToken,
} from './transaction-token.ts';
