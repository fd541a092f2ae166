import type { Knex } from 'knex';
import * as organizations from './20261128000100_organizations.ts';
import * as users from './20261128000200_users.ts';
import * as environments from './20261128000300_environments.ts';
import * as clientCredentials from './20261128000400_client_credentials.ts';
import * as roles from './20261128000500_roles.ts';
import * as auditLog from './20261128000600_audit_log.ts';
import * as oidcModels from './20261128000700_oidc_models.ts';
import * as apps from './20261128000800_apps.ts';
import * as signingKeys from './20261128000900_signing_keys.ts';
import * as sessions from './20261128001000_sessions.ts';
import * as signInAttempts from './20261128001100_sign_in_attempts.ts';
import * as invitations from './20261128001200_invitations.ts';
import * as usageDaily from './20261128001300_usage_daily.ts';
import * as auditLogKeyset from './20261128001310_audit_log_keyset.ts';
import * as localAccounts from './20261128001400_local_accounts.ts';
import * as identityProviders from './20261128001500_identity_providers.ts';
import * as federationFlows from './20261128001600_federation_flows.ts';
import * as samlReplay from './20261128001700_saml_replay.ts';
import * as auditAppendOnly from './20261207000100_audit_append_only.ts';
import * as signingKeyRevocation from './20261207000200_signing_key_revocation.ts';
import * as installationKeys from './20261207000300_installation_keys.ts';
import * as nodes from './20261207000400_nodes.ts';
import * as oidcRecord from './20261207000500_oidc_record.ts';
import * as refreshReuse from './20261207000600_refresh_reuse.ts';
import * as housekeeping from './20261207000700_housekeeping.ts';
import * as accounts from './20261208000100_accounts.ts';

// Static imports and extension-less names: the names recorded in knex_migrations never depend on
// how the files are run. Add each new migration here, in order.
const migrations: Record<string, Knex.Migration> = {
  '20261128000100_organizations': organizations,
  '20261128000200_users': users,
  '20261128000300_environments': environments,
  '20261128000400_client_credentials': clientCredentials,
  '20261128000500_roles': roles,
  '20261128000600_audit_log': auditLog,
  '20261128000700_oidc_models': oidcModels,
  '20261128000800_apps': apps,
  '20261128000900_signing_keys': signingKeys,
  '20261128001000_sessions': sessions,
  '20261128001100_sign_in_attempts': signInAttempts,
  '20261128001200_invitations': invitations,
  '20261128001300_usage_daily': usageDaily,
  '20261128001310_audit_log_keyset': auditLogKeyset,
  '20261128001400_local_accounts': localAccounts,
  '20261128001500_identity_providers': identityProviders,
  '20261128001600_federation_flows': federationFlows,
  '20261128001700_saml_replay': samlReplay,
  '20261207000100_audit_append_only': auditAppendOnly,
  '20261207000200_signing_key_revocation': signingKeyRevocation,
  '20261207000300_installation_keys': installationKeys,
  '20261207000400_nodes': nodes,
  '20261207000500_oidc_record': oidcRecord,
  '20261207000600_refresh_reuse': refreshReuse,
  '20261207000700_housekeeping': housekeeping,
  '20261208000100_accounts': accounts,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const migration = migrations[name];
    if (!migration) throw new Error(`unknown migration ${name}`);
    return migration;
  },
};
