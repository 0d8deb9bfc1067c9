import { FlowAgent, type FlowBrowser } from '../lib/flow-agent.ts';
import type { FlowLoad, Scenario } from '../lib/types.ts';
import { codeFlow, FLOW_CONCURRENCY, flowCapabilities } from './auth-code.ts';

/**
 * authorization_code + PKCE for a user who is already signed in (issue #9's "code flow with an
 * existing session"): each browser signs in once before the cell, then repeats GET authorize
 * (the session cookie answers it with a code at once, consent being pre-granted) → token request.
 * No argon2id in the measured flows: this is the cost of the protocol itself.
 */
export const authCodeSession: Scenario = {
  id: 'auth-code-session',
  title: `authorization code + PKCE flows/s with an existing session (authorize → code → token), ${FLOW_CONCURRENCY} browsers`,
  async prepare(t) {
    const caps = flowCapabilities(t);
    if (typeof caps === 'string') return { na: caps };
    const agent = new FlowAgent(t.origin, FLOW_CONCURRENCY);
    const browsers: FlowBrowser[] = [];
    for (let i = 0; i < FLOW_CONCURRENCY; i++) {
      const b = agent.browser();
      // Signs in (password, argon2id) and sets the session cookie in this browser.
      const first = await codeFlow(agent, t, caps.client, caps.user, { browser: b });
      if (first.problem) {
        agent.close();
        throw new Error(`sign-in before the cell failed: ${first.problem}`);
      }
      browsers.push(b);
    }
    const load: FlowLoad = {
      kind: 'flow',
      concurrency: FLOW_CONCURRENCY,
      once: async (worker) => (await codeFlow(agent, t, caps.client, caps.user, { browser: browsers[worker]!, session: true })).problem,
      close: () => agent.close(),
    };
    return { load };
  },
};
