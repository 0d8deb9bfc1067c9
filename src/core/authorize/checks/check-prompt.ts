import { OAuthError } from '../../errors.ts';
import type { Client } from '../../model/client.ts';
import { oidcMetadata } from '../../model/client-oidc.ts';
import { PROMPTS, type Prompt } from '../types.ts';
import { param, spaceList, type Params } from './params.ts';

const isPrompt = (v: string): v is Prompt => (PROMPTS as readonly string[]).includes(v);

/** Largest max_age accepted (ten years, in seconds): anything larger means "no limit" anyway. */
const MAX_MAX_AGE = 315_360_000;

/**
 * OIDC Core §3.1.2.1 prompt: "Space delimited, case sensitive list of ASCII string values".
 * Values other than none, login, consent and select_account are refused with invalid_request.
 */
export function checkPrompt(params: Params): readonly Prompt[] {
  const values = spaceList(params, 'prompt', { items: 4, length: 100 });
  const out: Prompt[] = [];
  for (const v of values) {
    if (!isPrompt(v)) throw OAuthError.invalidRequest('unsupported prompt value', `prompt ${v.slice(0, 30)}`);
    out.push(v);
  }
  // OIDC Core §3.1.2.1: "If this parameter contains none with any other value, an error is returned."
  if (out.includes('none') && out.length > 1) throw OAuthError.invalidRequest('prompt=none cannot be combined with other values');
  return out;
}

/**
 * OIDC Core §3.1.2.1 max_age: "Maximum Authentication Age. Specifies the allowable elapsed time in
 * seconds since the last time the End-User was actively authenticated". Without it, the client's
 * registered `default_max_age` applies (OIDC Registration §2: "The max_age request parameter
 * overrides this default value"). The returned value is the one in force.
 */
export function checkMaxAge(client: Client, params: Params): number | null {
  const raw = param(params, 'max_age');
  if (raw === undefined) return oidcMetadata(client).defaultMaxAge;
  if (!/^\d{1,10}$/.test(raw)) throw OAuthError.invalidRequest('max_age must be a non-negative integer number of seconds');
  return Math.min(Number(raw), MAX_MAX_AGE);
}
