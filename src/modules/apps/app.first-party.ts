import type { Clock } from '../../platform/clock.ts';
import { assertOperator, type RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/database.ts';
import { assertThat, invalidInput, isUuid } from '../../platform/errors/index.ts';
import type { AuditService } from '../audit/index.ts';
import { type AppRow, createAppRepository } from './app.repository.ts';
import { type App, isUserFacing } from './app.schema.ts';

const OPERATOR_ONLY =
  'only the operator decides this, with the command line (canopy app first-party); apps registered ' +
  'through the API are third-party: people are asked for their consent';

/**
 * SEC-1: a first-party app gets a signed-in person's authorization without asking them, so whether
 * an app is first-party is the operator's decision, never a tenant administrator's. Anyone may ask
 * for what is already so (the default, third-party, at registration).
 */
export function checkFirstPartyChange(
  ctx: RequestContext,
  wanted: boolean | undefined,
  current: boolean,
): void {
  if (wanted === undefined || wanted === current || ctx.actor.kind === 'operator') return;
  throw invalidInput('firstParty', OPERATOR_ONLY);
}

/**
 * SEC-1, SEC-3: a first-party app gets codes without asking anyone, so where it may send them is
 * the operator's decision as much as the flag: a tenant administrator may remove redirect URIs of
 * such an app, never add or replace one (a new URI would get silent codes, SEC-3).
 */
export function checkFirstPartyRedirects(
  ctx: RequestContext,
  current: Pick<App, 'firstParty' | 'redirectUris'>,
  wanted: readonly string[] | undefined,
): void {
  if (!current.firstParty || wanted === undefined || ctx.actor.kind === 'operator') return;
  const registered = new Set(current.redirectUris);
  if (wanted.every((uri) => registered.has(uri))) return;
  throw invalidInput(
    'redirectUris',
    'this app is first-party (no consent page), so only the operator adds redirect URIs to it: ' +
      'ask the operator to clear its first-party flag (canopy app first-party <client-id> off) first',
  );
}

function requireOperator(ctx: RequestContext): void {
  assertOperator(ctx, `First-party apps: ${OPERATOR_ONLY}`);
}

/** The operator's view of first-party apps across tenants: review them, set or clear the flag. */
export function createFirstPartyOperations(deps: {
  db: Db;
  clock: Clock;
  audit: AuditService;
  present(row: AppRow): App;
  changed(clientId: string): Promise<void>;
}) {
  const { db, clock, present } = deps;
  const { audited } = deps.audit;

  /** An app named by its id or its client ID, whatever its tenant (both are unique installation-wide). */
  async function find(ref: string): Promise<AppRow | undefined> {
    const apps = createAppRepository(db);
    if (ref.length === 0 || ref.length > 64) return undefined;
    return isUuid(ref) ? apps.resolveId(ref.toLowerCase()) : apps.resolveClientId(ref);
  }

  /** Sets or clears the flag; audited as the operator. `changed` is false when it already was so. */
  async function setFirstParty(
    ctx: RequestContext,
    ref: string,
    firstParty: boolean,
  ): Promise<{ app: App; changed: boolean }> {
    requireOperator(ctx);
    const found = await find(ref);
    assertThat(found, 'app.not_found', undefined, `no app has the id or client id "${ref}"`);
    if (firstParty)
      assertThat(
        isUserFacing(found.kind),
        'request.invalid_input',
        {
          fields: [{ field: 'firstParty', problem: 'only user-facing apps can be first-party' }],
        },
        'firstParty: only user-facing apps can be first-party (a service app signs nobody in)',
      );
    const { tenantId, id } = found;
    const result = await db.transaction(async (tx) => {
      const repo = createAppRepository(tx);
      const current = await repo.findById(tenantId, id, { forUpdate: true });
      assertThat(current, 'app.not_found');
      if (current.firstParty === firstParty) return { app: present(current), changed: false };
      await repo.setFirstParty(tenantId, id, firstParty, clock.now());
      const { clientId } = current;
      const before = { clientId, firstParty: current.firstParty };
      const target = { tenantId, type: 'app', id };
      await audited(tx, ctx, 'app.first_party.set', target, before, { clientId, firstParty });
      return { app: present((await repo.findById(tenantId, id))!), changed: true };
    });
    if (result.changed) await deps.changed(result.app.clientId);
    return result;
  }

  /** Every first-party app of every tenant, so operators can review them (after an upgrade, say). */
  async function listFirstParty(ctx: RequestContext): Promise<App[]> {
    requireOperator(ctx);
    return (await createAppRepository(db).listFirstParty()).map(present);
  }

  return { setFirstParty, listFirstParty };
}
