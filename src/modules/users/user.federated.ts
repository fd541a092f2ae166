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
  input: { id: string; preferredUsername: string; email?: string; name?: string; at: Date },
): Promise<User> {
  const repo = createUserRepository(tx);
  const base = usernameFrom(input.preferredUsername);
  let username = base;
  for (let n = 2; await repo.findByUsername(tenantId, username); n++) {
    // Past a few hundred namesakes, a random suffix ends the search.
    username = n > 500 ? `${base}-${randomBytes(6).toString('hex')}` : `${base}-${n}`;
  }
  return repo.insert(tenantId, {
    id: input.id,
    username,
    email: emailFrom(input.email),
    name: nameFrom(input.name, username),
    passwordHash: null,
    at: input.at,
  });
}

/** Later sign-ins refresh name and email (FED-3); returns before and after when anything changed. */
export async function refreshFederatedProfile(
  tx: Tx,
  tenantId: string,
  user: User,
  input: { email?: string; name?: string; at: Date },
): Promise<{ before: Pick<User, 'email' | 'name'>; after: Pick<User, 'email' | 'name'> } | undefined> {
  // A missing or malformed email keeps the one on file rather than blanking it.
  const email = emailFrom(input.email) || user.email;
  const name = nameFrom(input.name, user.name);
  if (email === user.email && name === user.name) return undefined;
  await createUserRepository(tx).update(tenantId, user.id, { email, name, at: input.at });
  return { before: { email: user.email, name: user.name }, after: { email, name } };
}
