import type { Scenario } from '../lib/types.ts';

/** The ceiling: the cheapest possible Fastify route on the same machine. */
export const hello: Scenario = {
  id: 'hello',
  title: 'hello-world ceiling (bare Fastify)',
  async prepare(t) {
    const { helloPath } = t.capabilities;
    if (!helloPath) return { na: 'ceiling only' };
    return {
      load: {
        method: 'GET',
        path: helloPath,
        headers: {},
        verifyBody: (b) => b === '{"hello":"world"}',
        verifyResponse: (status, body) => (status === 200 && body === '{"hello":"world"}' ? null : `hello answered ${status}: ${body}`),
      },
    };
  },
};
