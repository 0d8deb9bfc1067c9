import { FlowAgent } from '../lib/flow-agent.ts';
import type { FlowLoad, Scenario } from '../lib/types.ts';
import { ccJwt } from './cc-jwt.ts';
import { codeFlow, flowCapabilities, FLOW_CONCURRENCY } from './auth-code.ts';

/**
 * Password sign-ins (each an argon2id verification) while client_credentials runs at 50
 * connections on the same server: sign-ins per second, and the client_credentials p99 (hashing
 * must stay off the event loop). Gatehouse only: a goal of ours, not a comparison.
 */
export const signinUnderLoad: Scenario = {
  id: 'signin-under-load',
  title: 'sign-in flows/s (8 browsers) while client_credentials (JWT) runs at 50 connections',
  only: ['gatehouse'],
  async prepare(t) {
    const caps = flowCapabilities(t);
    if (typeof caps === 'string') return { na: caps };
    const cc = await ccJwt.prepare(t);
    if (!('load' in cc) || 'kind' in cc.load) return { na: 'no client_credentials load' };
    const agent = new FlowAgent(t.origin, FLOW_CONCURRENCY);
    const load: FlowLoad = {
      kind: 'flow',
      concurrency: FLOW_CONCURRENCY,
      once: async () => (await codeFlow(agent, t, caps.client, caps.user)).problem,
      close: () => agent.close(),
      background: { load: cc.load, connections: 50 },
    };
    return { load };
  },
};
