import type { Client } from '../model/client.ts';
import { CLAIM_DESTINATIONS, CLAIM_NAME, isReservedClaim, type ClaimDestination } from './claim-catalog.ts';

/**
 * Gatehouse client metadata `claim_mappings`: per source (`roles`, `groups` or a custom
 * attribute), the claim name this client receives it under and where it goes. Set only by the
 * operator (clients use cases, CLI); dynamic registration may not set or change it.
 *
 *   "claim_mappings": { "roles": { "claim": "app_roles", "destinations": ["id_token", "access_token"] },
 *                       "employee_number": { "destinations": [] } }
 *
 * A source without an entry keeps the default: UserInfo, plus the ID token where OIDC Core §5.4
 * puts scope claims (no access token issued) or the `claims` parameter asks. An empty
 * `destinations` withholds the source from this client. A mapping never releases a source whose
 * scope was not granted.
 */
export interface ClaimMapping {
  readonly claim: string;
  readonly destinations: readonly ClaimDestination[];
}

export type ClaimMappings = Readonly<Record<string, ClaimMapping>>;

/** Bound on entries (S20): one per mappable source is plenty. */
export const MAX_CLAIM_MAPPINGS = 64;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates `claim_mappings` as given by the operator. `sources` are the mappable names (roles,
 * groups, the configured attributes). Returns the normalised value to store (each entry with its
 * `claim` and `destinations`), or throws with a message naming the entry.
 */
export function checkClaimMappings(raw: unknown, sources: readonly string[], fail: (why: string) => Error): ClaimMappings {
  if (!isObject(raw)) throw fail('claim_mappings must be a JSON object of source → { claim, destinations }');
  const entries = Object.entries(raw);
  if (entries.length > MAX_CLAIM_MAPPINGS) throw fail(`claim_mappings has more than ${MAX_CLAIM_MAPPINGS} entries`);
  const out: [string, ClaimMapping][] = [];
  const names = new Map<string, string>();
  for (const [source, entry] of entries) {
    const where = `claim_mappings.${source.slice(0, 64)}`;
    if (!sources.includes(source)) throw fail(`${where}: unknown source (one of ${sources.join(', ')})`);
    if (!isObject(entry)) throw fail(`${where} must be an object with claim and/or destinations`);
    const extra = Object.keys(entry).find((k) => k !== 'claim' && k !== 'destinations');
    if (extra !== undefined) throw fail(`${where}: unknown member ${extra.slice(0, 64)} (claim, destinations)`);
    const claim = entry['claim'] ?? source;
    if (typeof claim !== 'string' || !CLAIM_NAME.test(claim)) throw fail(`${where}.claim must be a letter then letters, digits or _ (at most 64)`);
    // The source's own name is fine (roles → roles); another name must not shadow a defined claim.
    if (claim !== source && (isReservedClaim(claim) || sources.includes(claim))) throw fail(`${where}.claim ${claim} is reserved or names another source`);
    const dest = entry['destinations'] ?? ['userinfo'];
    if (!Array.isArray(dest) || !dest.every((d): d is ClaimDestination => (CLAIM_DESTINATIONS as readonly unknown[]).includes(d))) {
      throw fail(`${where}.destinations must be a list of ${CLAIM_DESTINATIONS.join(', ')} (empty withholds it)`);
    }
    const other = names.get(claim.toLowerCase());
    if (other !== undefined) throw fail(`${where}.claim ${claim} is also the claim of ${other}`);
    names.set(claim.toLowerCase(), source);
    out.push([source, { claim, destinations: [...new Set(dest)] }]);
  }
  return Object.freeze(Object.fromEntries(out));
}

const NONE: ClaimMappings = Object.freeze({});

/** The client's stored mappings (validated when set; read leniently). */
export function claimMappingsOf(client: Pick<Client, 'metadata'>): ClaimMappings {
  const raw = client.metadata['claim_mappings'];
  return isObject(raw) ? (raw as ClaimMappings) : NONE;
}
