import { OAuthError } from '../../errors.ts';
import type { ResourceRegistryConfig } from '../../tokens/resource-indicators.ts';
import type { Params } from '../request-sources.ts';

export type { Params };

/** The configuration slice the authorization endpoint reads (S6; `Pick<Config, …>` in shape). */
export interface AuthorizeConfig extends ResourceRegistryConfig {
  readonly issuer: string;
  readonly authorization: {
    readonly codeTtl: number;
    readonly pkceRequired: 'public' | 'all';
    readonly allowPlainPkce: boolean;
    readonly implicit: boolean;
    readonly requirePar: boolean;
  };
  /** ACR values this server can satisfy (`login.acrValues`). */
  readonly login: { readonly acrValues: readonly string[] };
}

/**
 * One parameter. RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were
 * omitted from the request." Only own properties count (no prototype lookups).
 */
export function param(params: Params, name: string): string | undefined {
  if (!Object.hasOwn(params, name)) return undefined;
  const v = params[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Space-delimited list (OIDC Core §3.1.2.1 prompt, ui_locales, acr_values): no empty members. */
export function spaceList(params: Params, name: string, max: { readonly items: number; readonly length: number }): string[] {
  const v = param(params, name);
  if (v === undefined) return [];
  if (v.length > max.length) throw OAuthError.invalidRequest(`${name} is too long`);
  const items = v.split(' ');
  if (items.some((i) => i === '')) throw OAuthError.invalidRequest(`${name} must be values separated by single spaces`);
  const unique = [...new Set(items)];
  if (unique.length > max.items) throw OAuthError.invalidRequest(`${name} has too many values`);
  return unique;
}

/** True when the raw request asks for OpenID Connect (`openid` among the scope values). */
export function isOpenIdRequest(params: Params): boolean {
  return (param(params, 'scope') ?? '').split(' ').includes('openid');
}
