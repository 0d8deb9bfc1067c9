// Child process for test/flows/otlp-traces.test.ts: starts a test server (OTEL endpoint from
// ENDPOINT, if set), serves one request, and prints which @opentelemetry packages were loaded.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { startTestServer } = await import('./server.ts');
const s = await startTestServer({}, { observe: { env: process.env.ENDPOINT ? { OTEL_EXPORTER_OTLP_ENDPOINT: process.env.ENDPOINT } : {} } });
await fetch(`${s.url}/health`);
await s.close();
const packages = new Set(
  Object.keys(require.cache)
    .map((k) => /node_modules\/(@opentelemetry\/[^/]+)\//.exec(k)?.[1])
    .filter(Boolean),
);
console.log(JSON.stringify([...packages].sort()));
