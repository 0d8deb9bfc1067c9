/**
 * Clients every Gatehouse provisions for itself at start (the admin console's first-party
 * client). Each deployment makes its own: they are not exported, and an import may not carry
 * them (docs/admin-api.md "Export and import").
 */
export const CONSOLE_CLIENT_ID = 'gatehouse-console';
export const BUILT_IN_CLIENT_IDS: ReadonlySet<string> = new Set([CONSOLE_CLIENT_ID]);
