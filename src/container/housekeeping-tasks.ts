import type { Config } from '../config/schema.ts';
import { sweepExpiredFlows } from '../federation/index.ts';
import { sweepSamlCache } from '../federation/saml/index.ts';
import { createAccountTokens } from '../modules/accounts/index.ts';
import { sweepUsageBefore, usageCutoffDay } from '../modules/analytics/index.ts';
import type { AuditService } from '../modules/audit/index.ts';
import { sweepFinishedInvitations } from '../modules/invitations/index.ts';
import { forgetStaleNodes } from '../modules/secrets/index.ts';
import type { SessionService } from '../modules/sessions/index.ts';
import { sweepExpired } from '../oidc/adapters/sql-adapter.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/database.ts';
import { BATCH_SIZE, type HousekeepingTask, inBatches } from '../platform/housekeeping.ts';
import { sweepEndedCounters } from '../platform/throttle/index.ts';

const DAY_MS = 86_400_000;

export interface HousekeepingTaskDeps {
  db: Db;
  clock: Clock;
  retention: Config['retention'];
  audit: Pick<AuditService, 'sweepRetained'>;
  sessions: Pick<SessionService, 'sweep'>;
}

/**
 * REL-6: every table whose rows expire or age out, and the task that keeps it small. Rows past
 * their expiry are already invisible to the code that reads them; these deletions only reclaim
 * the space. Times are the injected clock's (it wrote the expiries), except the audit log's and the
 * nodes', which the database dates itself.
 */
export function housekeepingTasks(deps: HousekeepingTaskDeps): HousekeepingTask[] {
  const { db, clock, retention } = deps;
  return [
    {
      // Provider artefacts (sessions, grants, codes, tokens, interactions, device codes and their
      // poll state), whichever store serves them: SQL holds them even with Redis.
      name: 'oidc-artefacts',
      tables: ['oidc_models'],
      run: () => sweepExpired(db, clock, { batchSize: BATCH_SIZE }),
    },
    {
      name: 'sessions',
      tables: ['sessions'],
      run: () => inBatches((limit) => deps.sessions.sweep(limit)),
    },
    {
      name: 'federation-flows',
      tables: ['federation_flows'],
      run: () => inBatches((limit) => sweepExpiredFlows(db, clock, limit)),
    },
    {
      name: 'saml-replay-cache',
      tables: ['saml_cache'],
      run: () => inBatches((limit) => sweepSamlCache(db, clock, limit)),
    },
    {
      // ACC-1, ACC-3: single-use links past their expiry, used or not (they no longer work).
      name: 'account-links',
      tables: ['account_tokens'],
      run: () => {
        const links = createAccountTokens({ db, clock });
        return inBatches((limit) => links.deleteExpired(limit));
      },
    },
    {
      name: 'sign-in-counters',
      tables: ['sign_in_attempts'],
      run: () => inBatches((limit) => sweepEndedCounters(db, clock.now(), limit)),
    },
    {
      name: 'stopped-nodes',
      tables: ['nodes'],
      run: () => forgetStaleNodes(db),
    },
    {
      name: 'audit-retention',
      tables: ['audit_log'],
      run: () => deps.audit.sweepRetained(retention.auditDays),
    },
    {
      name: 'usage-retention',
      tables: ['usage_daily'],
      run: () => {
        const cutoff = usageCutoffDay(clock, retention.usageDays);
        return inBatches((limit) => sweepUsageBefore(db, cutoff, limit));
      },
    },
    {
      // Finished invitations are history: kept as long as the audit entries that tell it.
      name: 'finished-invitations',
      tables: ['invitations'],
      run: () => {
        const before = new Date(clock.now().getTime() - retention.auditDays * DAY_MS);
        return inBatches((limit) => sweepFinishedInvitations(db, before, limit));
      },
    },
  ];
}
