import { OAuthError } from '../errors.ts';

export type ApplicationType = 'web' | 'native';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
/** RFC 8252 §7.1: a private-use scheme is a reverse domain name, so it contains a period. */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/;
/** Schemes that must never be a redirect target, whatever the application type. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:', 'ftp:', 'ws:', 'wss:']);

function refuse(uri: string, why: string): OAuthError {
  return OAuthError.invalidRedirectUri(`redirect_uri ${JSON.stringify(uri.slice(0, 200))} ${why}`);
}

/**
 * Hosts that name the user's own machine: whatever listens there (any local app) receives what is
 * sent, even over https.
 */
export function isLoopbackHostname(hostname: string): boolean {
  // `localhost.` is `localhost` to DNS: a final dot names the same host.
  const host = hostname.toLowerCase().replace(/\.+$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * True when a redirect URI's host cannot tell one client from another: a loopback address (RFC
 * 8252 §7.3: any app on any device may listen there, so every native app registers the same
 * `http://127.0.0.1/…`) or a private-use scheme (§7.1: the scheme, not a host, names the app, any
 * app may claim it, §8.6; `com.example.app:/cb` has no host and `com.example.app://cb` a made-up
 * one). Only https (and http) URIs on other hosts name a host that one party controls.
 */
export function hasSharedHost(uri: string): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return true;
  return url.hostname === '' || isLoopbackHostname(url.hostname);
}

/** True for http://127.0.0.1, http://[::1] and http://localhost (any port). */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * Checks one redirect URI and returns it unchanged (matching is exact, RFC 9700 §4.1.3).
 * Throws invalid_redirect_uri (RFC 7591 §3.2.2) explaining the first problem found.
 */
export function checkRedirectUri(uri: string, applicationType: ApplicationType): string {
  // RFC 9700 §4.1.3: servers MUST use exact string matching; a wildcard would defeat that.
  if (uri.includes('*')) throw refuse(uri, 'must not contain a wildcard');
  if (/\s/.test(uri)) throw refuse(uri, 'must not contain whitespace');
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    // RFC 6749 §3.1.2: "The redirection endpoint URI MUST be an absolute URI".
    throw refuse(uri, 'must be an absolute URI');
  }
  // RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component."
  if (url.hash !== '' || uri.includes('#')) throw refuse(uri, 'must not contain a fragment');
  if (url.username !== '' || url.password !== '') throw refuse(uri, 'must not contain user credentials');
  if (FORBIDDEN_SCHEMES.has(url.protocol)) throw refuse(uri, `must not use the ${url.protocol} scheme`);

  if (url.protocol === 'https:') {
    if (!url.hostname) throw refuse(uri, 'must name a host');
    return uri;
  }
  if (url.protocol === 'http:') {
    // RFC 9700 §2.6 / RFC 8252 §7.3: plain http is acceptable only for loopback redirects.
    if (isLoopbackHttp(url)) return uri;
    throw refuse(uri, 'must use https (http is allowed only for loopback addresses)');
  }
  if (applicationType === 'native') {
    // RFC 8252 §7.1: "When choosing a URI scheme to associate with the app, apps MUST use a URI
    // scheme based on a domain name under their control, expressed in reverse order".
    if (PRIVATE_USE_SCHEME.test(url.protocol)) return uri;
    throw refuse(uri, 'must use a reverse-domain private-use scheme (e.g. com.example.app:/callback)');
  }
  throw refuse(uri, 'must use https, or a loopback http address');
}
