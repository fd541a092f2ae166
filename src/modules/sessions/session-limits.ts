/**
 * What a master org may set for its sessions, in whole minutes: the idle timeout (ORG-11, SESS-2)
 * and the absolute lifetime (SESS-3, at most 30 days). The maxima also bound storage: no session is
 * kept past the longest of either (the sweep, the provider's session TTL).
 *
 * Defined once for the code, but repeated in two places that must change with them: the check
 * constraints of migrations/20261128000100_organizations.ts (raising a maximum or lowering a minimum
 * needs a migration that widens them, or the database refuses what the API accepts), and the
 * console's hint on the idle timeout in src/console/assets/components/node-panels.js (browser code,
 * which imports nothing from here).
 */
export const IDLE_TIMEOUT_MINUTES = { min: 15, max: 180, default: 60 } as const;
export const SESSION_LIFETIME_MINUTES = { min: 15, max: 43_200, default: 12 * 60 } as const;
