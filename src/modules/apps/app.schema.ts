import type { Permission } from '../roles/index.ts';

/** The refresh-token reuse interval: default and bounds, in seconds (0 = strict reuse detection). */
export const REFRESH_REUSE_SECONDS = { default: 5, max: 60 } as const;

export const APP_KINDS = ['web', 'spa', 'native', 'service'] as const;
export type AppKind = (typeof APP_KINDS)[number];

/** Confidential apps authenticate with a client secret; spa and native apps are public (PKCE only). */
export function isConfidential(kind: AppKind): boolean {
  return kind === 'web' || kind === 'service';
}

/** User-facing apps sign people in (authorization code with PKCE); service apps act on their own. */
export function isUserFacing(kind: AppKind): boolean {
  return kind !== 'service';
}

/** A service app's grant: what it may do, on which node (and every node below it). */
export interface AppGrant {
  organizationId: string;
  permissions: Permission[];
}

export interface App {
  id: string;
  /** The master org the app belongs to: only its users may sign in to the app (APP-2). */
  tenantId: string;
  clientId: string;
  name: string;
  /** Fixed at creation. */
  kind: AppKind;
  /** Whether the app has a client secret (web and service apps). */
  confidential: boolean;
  /** Exact redirect URIs (user-facing apps). */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** First-party apps skip the consent page. */
  firstParty: boolean;
  /** Service apps only. */
  grants: AppGrant[];
  /**
   * User-facing apps: seconds after a refresh token is rotated during which a second use of it is a
   * concurrent duplicate (answered with a valid new pair), not a replay (which revokes the grant).
   */
  refreshTokenReuseSeconds: number;
  /** Set while a rotated-out secret is still accepted (a rotation with a grace period). */
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}
