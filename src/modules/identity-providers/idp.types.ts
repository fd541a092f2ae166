import type { Clock } from '../../platform/clock.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { Db } from '../../platform/db/database.ts';
import type { NetworkPolicy } from '../../platform/net/address-policy.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access, AssignmentService, TenantDirectory } from '../roles/index.ts';

// What the provider service and its operations (update, local accounts) are built from, in a file
// of its own so the operations need not import the service that assembles them.

export interface IdpServiceDeps {
  db: Db;
  clock: Clock;
  box: SecretBox;
  access: Access;
  audit: AuditService;
  directory: TenantDirectory;
  assignments: Pick<AssignmentService, 'revokeSourceInTx' | 'missingToConferInTx'>;
  /** PUBLIC_URL: the SP entity id, ACS and redirect URIs hang off it (idp.metadata.ts). */
  publicUrl: string;
  /** FEDERATION_ALLOW_PRIVATE_NETWORKS: which OIDC issuers may be configured (SEC-5). */
  network: NetworkPolicy;
}
