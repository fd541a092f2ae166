export { ensureInstallationKey } from './installation-key.ts';
export { assertEveryNodeHolds, createNodePresence, forgetStaleNodes, liveNodes } from './node-presence.ts';
export { SEALED_COLUMNS } from './sealed-columns.ts';
export {
  createSecretsService,
  type KeyUsage,
  type ResealReport,
  type SecretsService,
  sealedColumnsInSchema,
  verifySealedSecrets,
} from './secrets.service.ts';
