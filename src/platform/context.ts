import { AppError } from './errors/index.ts';

/** A node (and everything below it) and the permissions granted there. */
export interface AppGrantOf {
  organizationId: string;
  permissions: readonly string[];
}

/** Who is acting. Services authorize and audit from this; nothing else identifies a caller. */
export type Actor =
  | { kind: 'user'; tenantId: string; userId: string }
  /** A service app (client credentials): what its grants allow, narrowed to its token's scopes. */
  | { kind: 'app'; tenantId: string; clientId: string; grants: ReadonlyArray<AppGrantOf> }
  /** The operator at the command line: trusted, outside any tenant. */
  | { kind: 'operator'; name: string }
  | { kind: 'anonymous' };

export interface RequestContext {
  readonly actor: Actor;
  readonly requestId: string;
  /**
   * The provider session a person's token was issued from, when it was (ACC-2, ACC-5: "this
   * session"). Internal: never shown, never audited.
   */
  readonly sessionUid?: string;
}

export function operatorContext(requestId: string, name = 'cli'): RequestContext {
  return { actor: { kind: 'operator', name }, requestId };
}

/** Installation-wide actions (keys, first-party apps) are the operator's alone: 403 for anyone else. */
export function assertOperator(ctx: RequestContext, message?: string): void {
  if (ctx.actor.kind !== 'operator') {
    throw new AppError(
      'auth.permission_denied',
      { permission: 'operator' },
      message ? { message } : undefined,
    );
  }
}

/** The master org a request acts in: a user's or an app's own. */
export function tenantOf(ctx: RequestContext): string {
  const { actor } = ctx;
  if (actor.kind === 'user' || actor.kind === 'app') return actor.tenantId;
  throw new Error('this request acts in no tenant');
}
