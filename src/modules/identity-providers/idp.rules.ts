import { X509Certificate } from 'node:crypto';
import type { Tx } from '../../platform/db/database.ts';
import { isUniqueViolation } from '../../platform/db/pg-errors.ts';
import { AppError, assertThat, invalidInput } from '../../platform/errors/index.ts';
import { createIdpRepository, type ProviderRow } from './idp.repository.ts';
import type { SamlConfig } from './idp.schema.ts';

/** A provider's name is unique in its tenant: the database says so, the caller hears a 409. */
export const nameTaken = (err: unknown) =>
  isUniqueViolation(err, 'identity_providers_name_unique')
    ? new AppError('identity_provider.name_taken')
    : err;

/** Certificates that expired are refused when they are added (a stored one may expire later). */
export function refuseExpired(config: SamlConfig, now: Date, known: readonly string[] = []): void {
  config.signingCertificates.forEach((pem, i) => {
    const notAfter = new Date(new X509Certificate(pem).validTo);
    if (!known.includes(pem) && notAfter < now)
      throw invalidInput(`config.signingCertificates.${i}`, `expired on ${notAfter.toISOString()}`);
  });
}

/** The provider, locked for the transaction, or a 404. */
export async function lockedProvider(tx: Tx, tenantId: string, id: string): Promise<ProviderRow> {
  const row = await createIdpRepository(tx).findById(tenantId, id, { forUpdate: true });
  assertThat(row, 'identity_provider.not_found');
  return row;
}

/** FED-5: with local accounts off, the last enabled provider stays (nobody is locked out). */
export async function keepOneEnabled(tx: Tx, tenantId: string, leaving: ProviderRow): Promise<void> {
  const r = createIdpRepository(tx);
  const master = await r.master(tenantId, { forUpdate: true });
  assertThat(master, 'organization.not_found');
  if (!leaving.enabled || master.localAccountsEnabled) return;
  assertThat((await r.countEnabled(tenantId)) > 1, 'identity_provider.last_enabled');
}
