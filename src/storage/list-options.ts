/** `ClientStore.list` page size when the caller gives none (every adapter uses the same). */
export const DEFAULT_PAGE_SIZE = 100;

/** A usable page size: a positive integer, else the default. */
export function pageSize(limit: number | undefined): number {
  return limit !== undefined && Number.isInteger(limit) && limit > 0 ? limit : DEFAULT_PAGE_SIZE;
}
