import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/database.ts';
import { type AuditRow, createAuditRepository } from './audit.repository.ts';

// What the reader needs of the tenant directory, structurally: the roles module writes audit entries, so
// the audit module does not import it back.
interface TreeNode {
  readonly id: string;
  readonly children: readonly TreeNode[];
}
interface Tree {
  readonly root: { readonly id: string };
  node(orgId: string): TreeNode | undefined;
}
interface AuditAccess {
  require(ctx: RequestContext, tenantId: string, permission: 'audit.view', orgId: string): Promise<Tree>;
}

export interface AuditLogFilter {
  from?: Date;
  to?: Date;
  action?: string;
  actor?: string;
  /** Entries older than this id: the previous page's `nextCursor`. */
  cursor?: number;
  limit: number;
}

export interface AuditLogPage {
  entries: AuditRow[];
  /** Pass it as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** The node and every node below it, from the in-memory tree (no recursive SQL). */
function subtreeOf(index: Tree, orgId: string): string[] {
  const root = index.node(orgId);
  if (!root) return [];
  const ids: string[] = [];
  const stack: TreeNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    ids.push(node.id);
    stack.push(...node.children);
  }
  return ids;
}

/**
 * AUD-2: holders of `audit.view` on a node read the entries of that node and its descendants,
 * newest first, page by page. On the master that is the whole tenant, including the entries of
 * business groups since deleted and of tenant-wide changes; installation-level entries (no tenant)
 * are never part of any tenant's log. The entries were redacted when they were written (AUD-1).
 */
export function createAuditLogReader(deps: { db: Db; access: AuditAccess }) {
  const repository = createAuditRepository(deps.db);

  return {
    async page(
      ctx: RequestContext,
      tenantId: string,
      orgId: string,
      filter: AuditLogFilter,
    ): Promise<AuditLogPage> {
      const index = await deps.access.require(ctx, tenantId, 'audit.view', orgId);
      const rows = await repository.list(tenantId, {
        ...(orgId === index.root.id ? {} : { orgIds: subtreeOf(index, orgId) }),
        ...(filter.action ? { action: filter.action } : {}),
        ...(filter.actor ? { actorId: filter.actor } : {}),
        ...(filter.from ? { from: filter.from } : {}),
        ...(filter.to ? { to: filter.to } : {}),
        ...(filter.cursor !== undefined ? { beforeId: filter.cursor } : {}),
        // One more than asked: whether a next page exists, without counting.
        limit: filter.limit + 1,
      });
      const entries = rows.slice(0, filter.limit);
      const more = rows.length > filter.limit;
      return { entries, nextCursor: more ? String(entries.at(-1)!.id) : null };
    },
  };
}

export type AuditLogReader = ReturnType<typeof createAuditLogReader>;
