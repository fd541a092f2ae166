import { randomBytes } from 'node:crypto';
import type { Tx } from '../../platform/db/database.ts';
import { createUserRepository } from './user.repository.ts';
import { emailSchema, personNameSchema, type User } from './user.schema.ts';

// Users that an identity provider vouches for (USR-2, FED-3): no password, a username made to fit
// Canopy's rules and unique in the master org, and a profile taken from what the provider sent,
// with safe fallbacks (the provider's values are never trusted to be well-formed).

const MAX_USERNAME = 128;
/** Room left for a `-<n>` suffix when the preferred username is taken. */
const BASE_MAX = MAX_USERNAME - 12;

/** A username Canopy accepts (usernameSchema) made from any string; never empty. */
export function usernameFrom(preferred: string): string {
  const cleaned = preferred
    .normalize('NFKC')
    .replace(/[^A-Za-z0-9._@+-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, BASE_MAX)
    .replace(/[^A-Za-z0-9]+$/, '');
  return cleaned.length >= 3 ? cleaned : `user-${cleaned || randomBytes(4).toString('hex')}`;
}

/** The provider's email when it is one, else empty (the column holds no made-up address). */
export function emailFrom(value: string | undefined): string {
  const parsed = emailSchema.safeParse(value ?? '');
  return parsed.success ? parsed.data : '';
}

export function nameFrom(value: string | undefined, fallback: string): string {
  const parsed = personNameSchema.safeParse(value ?? '');
  return parsed.success ? parsed.data : fallback;
}

/**
 * Inserts a federated user inside the caller's transaction (which serialises the tenant's user
 * changes: see the tenant directory's `change`), taking the first free of `base`, `base-2`, `base-3`…
 */
export async function insertFederatedUser(
  tx: Tx,
  tenantId: string,
  input: {
    id: string;
    preferredUsername: string;
    email?: string;
    name?: string;
    /** ACC-3: the provider asserted that this address is verified (OIDC `email_verified: true`). */
    emailVerified?: boolean;
    at: Date;
  },
): Promise<User> {
  const repo = createUserRepository(tx);
  const base = usernameFrom(input.preferredUsername);
  let username = base;
  for (let n = 2; await repo.findByUsername(tenantId, username); n++) {
    // Past a few hundred namesakes, a random suffix ends the search.
    username = n > 500 ? `${base}-${randomBytes(6).toString('hex')}` : `${base}-${n}`;
  }
  const email = emailFrom(input.email);
  return repo.insert(tenantId, {
    id: input.id,
    username,
    email,
    name: nameFrom(input.name, username),
    passwordHash: null,
    emailVerified: email !== '' && input.emailVerified === true,
    at: input.at,
  });
}

type Profile = Pick<User, 'email' | 'name' | 'emailVerified'>;

/**
 * Later sign-ins refresh name and email (FED-3), and whether the address is verified (ACC-3): a
 * federated user's address is whatever their provider says, verified only while the provider says
 * so. Returns before and after when anything changed.
 */
export async function refreshFederatedProfile(
  tx: Tx,
  tenantId: string,
  user: User,
  input: { email?: string; name?: string; emailVerified?: boolean; at: Date },
): Promise<{ before: Profile; after: Profile } | undefined> {
  // A missing or malformed email keeps the one on file (and its flag) rather than blanking it.
  const sent = emailFrom(input.email);
  const email = sent || user.email;
  const emailVerified = sent ? input.emailVerified === true : user.emailVerified;
  const name = nameFrom(input.name, user.name);
  const before = { email: user.email, name: user.name, emailVerified: user.emailVerified };
  const after = { email, name, emailVerified };
  if (email === before.email && name === before.name && emailVerified === before.emailVerified)
    return undefined;
  await createUserRepository(tx).update(tenantId, user.id, { email, name, emailVerified, at: input.at });
  return { before, after };
}
