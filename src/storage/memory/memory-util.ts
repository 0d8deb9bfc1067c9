/** Map key for a tenant-scoped row; NUL cannot appear in ids that reach the store. */
export function tenantKey(tenantId: string, id: string): string {
  return `${tenantId}\u0000${id}`;
}
