import { FlowAgent } from '../lib/flow-agent.ts';
import type { FlowLoad, Scenario } from '../lib/types.ts';
import { codeFlow, flowCapabilities } from './auth-code.ts';
import { basicAuth, FORM, form, parseJson } from './http.ts';

const CONNECTIONS = 50;

/**
 * The refresh_token grant with rotation: each of 50 workers holds one refresh token chain (from a
 * sign-in before the cell) and exchanges its current token for the next one, as fast as it can.
 */
export const refresh: Scenario = {
  id: 'refresh',
  title: 'refresh_token grant with rotation, 50 chains',
  async prepare(t) {
    const caps = flowCapabilities(t);
    if (typeof caps === 'string') return { na: caps };
    const agent = new FlowAgent(t.origin, CONNECTIONS);
    const chains: string[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const r = await codeFlow(agent, t, caps.client, caps.user);
      if (r.problem || !r.refreshToken) {
        agent.close();
        throw new Error(`no refresh token from the code flow: ${r.problem ?? 'none issued'}`);
      }
      chains.push(r.refreshToken);
    }
    const headers = { authorization: basicAuth(caps.client), 'content-type': FORM, accept: 'application/json' };
    const load: FlowLoad = {
      kind: 'flow',
      concurrency: CONNECTIONS,
      async once(worker) {
        const r = await agent.send(
          'POST',
          t.capabilities.tokenPath!,
          headers,
          form({ grant_type: 'refresh_token', refresh_token: chains[worker]!, ...caps.client.extraParams }),
        );
        const json = r.status === 200 ? parseJson(r.body) : null;
        if (!json || typeof json.access_token !== 'string' || typeof json.refresh_token !== 'string')
          return `refresh answered ${r.status}: ${r.body.slice(0, 160)}`;
        chains[worker] = json.refresh_token;
        return null;
      },
      close: () => agent.close(),
    };
    return { load };
  },
};
