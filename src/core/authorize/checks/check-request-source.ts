import { OAuthError } from '../../errors.ts';
import type { Client } from '../../model/client.ts';
import { oidcMetadata } from '../../model/client-oidc.ts';
import type { PushedRequestTaker, RequestObjectResolver } from '../request-sources.ts';
import type { ResolveOptions } from '../types.ts';
import { param, type Params } from './params.ts';

export interface RequestSources {
  readonly requestObjects?: RequestObjectResolver | undefined;
  readonly pushedRequests?: PushedRequestTaker | undefined;
}

export interface ResolvedSource {
  /** The parameters the request is judged on. */
  readonly params: Params;
  /** True when they came from a pushed request (or are being pushed / were resolved before). */
  readonly pushed: boolean;
}

/**
 * Where the parameters come from: the query/form itself, a JAR request object (RFC 9101) or a
 * pushed request (RFC 9126). The client is already known; its id is kept from the outer request.
 */
export async function resolveRequestSource(
  client: Client,
  raw: Params,
  via: NonNullable<ResolveOptions['via']>,
  sources: RequestSources,
): Promise<ResolvedSource> {
  const request = param(raw, 'request');
  const requestUri = param(raw, 'request_uri');
  // OIDC Core §6: "If one of these parameters is used, the other MUST NOT be used in the same request."
  if (request !== undefined && requestUri !== undefined) throw OAuthError.invalidRequest('request and request_uri cannot both be used');
  if (via === 'interaction') {
    // Parameters this service resolved before: request objects and pushed requests are gone.
    if (request !== undefined || requestUri !== undefined) throw OAuthError.invalidRequest('request and request_uri are not accepted here');
    return { params: raw, pushed: true };
  }
  let inner: Params | null = null;
  let pushed = via === 'par';
  if (requestUri !== undefined) {
    // RFC 9126 §2.1: "The request_uri authorization request parameter is one exception, and it
    // MUST NOT be provided." (in a pushed request)
    if (via === 'par') throw OAuthError.invalidRequest('request_uri cannot be pushed');
    // OIDC Core §3.1.2.6 request_uri_not_supported: "The OP does not support use of the
    // request_uri parameter". Only pushed requests are honoured, never a URL to fetch.
    if (!sources.pushedRequests) throw OAuthError.of('request_uri_not_supported', 'request_uri is not supported');
    inner = await sources.pushedRequests.takePushedRequest(client, requestUri);
    pushed = true;
  } else if (request !== undefined) {
    // OIDC Core §3.1.2.6 request_not_supported: "The OP does not support use of the request parameter".
    if (!sources.requestObjects) throw OAuthError.of('request_not_supported', 'the request parameter is not supported');
    inner = await sources.requestObjects.resolveRequestObject(client, request, raw);
  }
  if (inner === null) return { params: raw, pushed };
  // A pushed request of another client never gets here: `takePushedRequest` refuses it, judging
  // by the client that pushed it (RFC 9126 §4). A request object names its client itself.
  const innerClient = param(inner, 'client_id');
  if (requestUri === undefined && innerClient !== undefined && innerClient !== client.clientId) {
    throw OAuthError.of('invalid_request_object', 'client_id in the request object does not match');
  }
  // OIDC Core §6.1: "The request and request_uri parameters MUST NOT be included in Request Objects."
  if (param(inner, 'request') !== undefined || param(inner, 'request_uri') !== undefined) {
    throw OAuthError.of('invalid_request_object', 'a request object cannot contain request or request_uri');
  }
  return { params: { ...inner, client_id: client.clientId }, pushed };
}

/**
 * RFC 9126 §4: "Authorization server policy MAY dictate, either globally or on a per-client basis,
 * that PAR be the only means for a client to pass authorization request data." Server-wide:
 * `authorization.requirePar` (§5 require_pushed_authorization_requests: "accepts authorization
 * request data only via PAR"); per client: §6 require_pushed_authorization_requests ("the only
 * means of initiating an authorization request the client is allowed to use is PAR").
 */
export function checkParRequired(client: Client, pushed: boolean, config: { readonly authorization: { readonly requirePar: boolean } }): void {
  if (pushed) return;
  if (config.authorization.requirePar || oidcMetadata(client).requirePushedAuthorizationRequests) {
    throw OAuthError.invalidRequest('this client must use pushed authorization requests (PAR)');
  }
}
