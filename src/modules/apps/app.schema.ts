import type { Permission } from '../roles/index.ts';

export type AppKind = 'web' | 'spa' | 'native' | 'service';

/** A service app's grant: what it may do, on which node (and every node below it). */
export interface AppGrant {
  organizationId: string;
  permissions: Permission[];
}

export interface App {
  id: string;
  tenantId: string;
  clientId: string;
  name: string;
  kind: AppKind;
  /** Exact redirect URIs (user-facing apps). */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** First-party apps skip the consent page. */
  firstParty: boolean;
  /** Service apps only. */
  grants: AppGrant[];
  createdAt: Date;
  updatedAt: Date;
}
