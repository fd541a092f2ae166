import type { Limit } from '../../platform/throttle/index.ts';

// ACC-1: how often a forgotten password may be asked about. Counted where every node sees the same
// count (Redis when configured, else SQL): a loss only restarts a window.

/** Requests from one source address, whatever they name: someone walking through many accounts. */
export const RESET_REQUESTS_PER_ADDRESS: Limit = {
  name: 'reset-addr',
  points: 20,
  windowSeconds: 3600,
  store: 'window',
};

/**
 * Requests naming one account (an HMAC of the tenant and the username or email as typed, so that an
 * unknown name is counted exactly as a known one and the answer says nothing about which it is).
 */
export const RESET_REQUESTS_PER_ACCOUNT: Limit = {
  name: 'reset-acct',
  points: 5,
  windowSeconds: 3600,
  store: 'window',
};

/**
 * Reset mails to one user, however asked for (by username, by email, by an administrator): nobody's
 * mailbox is flooded by turns of the two names. Over it, nothing more is sent until the window ends.
 */
export const RESET_MAILS_PER_USER: Limit = {
  name: 'reset-user',
  points: 5,
  windowSeconds: 3600,
  store: 'window',
};
