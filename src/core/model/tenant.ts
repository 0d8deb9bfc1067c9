/**
 * Every stored aggregate is scoped by a tenant id. Only the default tenant is exposed today;
 * multi-tenancy attaches here later without a migration.
 */
export type TenantId = string;
export const DEFAULT_TENANT: TenantId = 'default';
