import type { Client } from '../model/client.ts';
import { oidcMetadata } from '../model/client-oidc.ts';
import type { FrontchannelLogout } from './types.ts';
import { appendQuery } from '../url-query.ts';

/**
 * The iframe URL for one client's front-channel logout (Front-Channel Logout 1.0 §2–§3), or null
 * when the client registered none (or an unusable one).
 * §2: "If either [iss or sid] is included, both MUST be." §3: "the OP MUST include iss and sid
 * query parameters" when the RP registered `frontchannel_logout_session_required`. The registered
 * query is kept as is and the parameters are appended to it.
 */
export function frontchannelLogout(client: Pick<Client, 'clientId' | 'metadata'>, issuer: string, sid: string): FrontchannelLogout | null {
  const meta = oidcMetadata(client);
  const uri = meta.frontchannelLogoutUri;
  if (uri === null) return null;
  let origin: string;
  try {
    const parsed = new URL(uri);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
    origin = parsed.origin;
  } catch {
    return null;
  }
  let url = uri;
  if (meta.frontchannelLogoutSessionRequired) {
    url = appendQuery(uri, `iss=${encodeURIComponent(issuer)}&sid=${encodeURIComponent(sid)}`);
  }
  return { clientId: client.clientId, url, origin };
}
