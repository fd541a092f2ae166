import { z } from 'zod';
import type { RequestContext } from '../../platform/context.ts';
import { assertId, assertThat, invalidInput, parseInput } from '../../platform/errors/index.ts';
import { settingsFromMetadata } from './idp.metadata-import.ts';
import { auditImage, presentProvider } from './idp.present.ts';
import { secretContext } from './idp.reads.ts';
import { createIdpRepository, type ProviderRow } from './idp.repository.ts';
import { keepOneEnabled, lockedProvider, nameTaken, refuseExpired } from './idp.rules.ts';
import type { OidcConfig, SamlConfig } from './idp.schema.ts';
import { requireMayRetrust, trustChanges } from './idp.trust.ts';
import type { IdpServiceDeps } from './idp.types.ts';
import {
  configSchemaOf,
  type ProviderPatch,
  parseWithIssuerPolicy,
  providerPatchSchema,
} from './idp.validation.ts';

/**
 * FED-1: the settings after a patch: an imported metadata document replaces what it supplies,
 * values named in this same patch still win, and the whole is checked again. Also the names of
 * the settings supplied, for the trust check.
 */
function patchedConfig(current: ProviderRow, patch: ProviderPatch, now: Date) {
  const schema = configSchemaOf[current.kind] as z.ZodType<SamlConfig | OidcConfig>;
  if (current.kind !== 'saml' && patch.metadataXml !== undefined)
    throw invalidInput('metadataXml', 'only SAML providers import metadata');
  const imported = patch.metadataXml === undefined ? {} : settingsFromMetadata(patch.metadataXml);
  if ('problem' in imported) throw invalidInput('metadataXml', imported.problem);
  const merged = { ...current.config, ...imported, ...patch.config };
  const config = parseInput(z.strictObject({ config: schema }), { config: merged }).config;
  if (current.kind === 'saml')
    refuseExpired(config as SamlConfig, now, (current.config as SamlConfig).signingCertificates);
  if (current.kind === 'saml' && patch.clientSecret !== undefined)
    throw invalidInput('clientSecret', 'only OIDC providers have a client secret');
  return { config, supplied: Object.keys({ ...imported, ...patch.config }) };
}

/**
 * Any field but the kind; `config` is merged into the current settings, then checked whole.
 * A change of trust anchor needs everything the provider confers (SEC-4).
 */
export function createProviderUpdate(deps: IdpServiceDeps) {
  const { db, clock, box, access } = deps;
  const { audited } = deps.audit;

  return async function update(ctx: RequestContext, tenantId: string, id: string, input: unknown) {
    const patch = parseWithIssuerPolicy(providerPatchSchema, input, deps.network);
    // Loaded outside the transaction: the embedded database has one connection.
    const index = await access.require(ctx, tenantId, 'idp.manage', tenantId);
    assertId(id, 'identity_provider.not_found');
    return db.transaction(async (tx) => {
      const r = createIdpRepository(tx);
      const master = await r.master(tenantId, { forUpdate: true }); // lock order: master, then provider
      assertThat(master, 'organization.not_found');
      const current = await lockedProvider(tx, tenantId, id);
      const { config, supplied } = patchedConfig(current, patch, clock.now());
      const retrusted = trustChanges(current.kind, current.config, config, { ...patch, supplied });
      if (retrusted.length > 0)
        await requireMayRetrust(tx, ctx, { index, assignments: deps.assignments }, id, retrusted);
      const enabled = patch.enabled ?? current.enabled;
      if (!enabled) await keepOneEnabled(tx, tenantId, current);
      const next = {
        name: patch.name ?? current.name,
        enabled,
        config,
        secretSealed:
          patch.clientSecret === undefined
            ? current.secretSealed
            : box.seal(patch.clientSecret, secretContext(id)),
        at: clock.now(),
      };
      await r.update(tenantId, id, next).catch((err: unknown) => {
        throw nameTaken(err);
      });
      const after = {
        ...auditImage({ ...current, ...next }),
        ...(patch.clientSecret === undefined ? {} : { credentialReplaced: true }),
        ...(retrusted.length > 0 ? { trustChanged: retrusted } : {}),
      };
      const target = { tenantId, type: 'identity_provider', id };
      await audited(tx, ctx, 'identity_provider.update', target, auditImage(current), after);
      return presentProvider((await r.findById(tenantId, id))!, deps.publicUrl);
    });
  };
}
