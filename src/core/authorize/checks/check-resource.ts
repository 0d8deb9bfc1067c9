import type { ResourceRegistry } from '../../tokens/resource-indicators.ts';
import { param, type Params } from './params.ts';

/**
 * RFC 8707 §2 resource at the authorization endpoint: "the authorization server [...] MUST
 * validate it" and answers invalid_target for a resource that is "invalid, missing, unknown, or
 * malformed". The values are frozen into the code and bound the tokens later issued from it.
 * Several values arrive space-separated in one parameter (an absolute URI holds no space), which
 * lets the HTTP layer pass repeated `resource` parameters through one string.
 */
export function checkResources(params: Params, registry: ResourceRegistry): readonly string[] {
  const raw = param(params, 'resource');
  if (raw === undefined) return [];
  const values = [...new Set(raw.split(' ').filter((v) => v !== ''))];
  registry.resolve(values);
  return values;
}
