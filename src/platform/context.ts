/** Who is acting. Services authorize and audit from this; nothing else identifies a caller. */
export type Actor =
  | { kind: 'user'; tenantId: string; userId: string }
  | { kind: 'app'; tenantId: string; clientId: string }
  /** The operator at the command line: trusted, outside any tenant. */
  | { kind: 'operator'; name: string }
  | { kind: 'anonymous' };

export interface RequestContext {
  readonly actor: Actor;
  readonly requestId: string;
}

export function operatorContext(requestId: string, name = 'cli'): RequestContext {
  return { actor: { kind: 'operator', name }, requestId };
}
