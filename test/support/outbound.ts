// The real guarded fetcher for tests whose receivers listen on 127.0.0.1 (allow-listed there,
// as the shared test server config does).
import { createGuardedFetch, type GuardedFetcher } from '../../src/outbound/guarded-fetch.ts';

export function testOutbound(): GuardedFetcher {
  return createGuardedFetch({
    allowHosts: ['127.0.0.1'],
    production: false,
    connectTimeoutMs: 2000,
    timeoutMs: 2000,
    maxBytes: { client_jwks: 256 * 1024, backchannel_logout: 64 * 1024, event_webhook: 64 * 1024, otlp_export: 64 * 1024, client_metadata: 5120 },
  });
}
