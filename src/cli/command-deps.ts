import type { Container } from '../container.ts';
import type { RequestContext } from '../platform/context.ts';

// What the program hands to every command, in a file of its own so the commands and the program
// that registers them do not import each other.

/** The services the commands use. */
export type CliServices = Pick<
  Container,
  | 'config'
  | 'signUp'
  | 'organizations'
  | 'credentials'
  | 'apps'
  | 'signingKeys'
  | 'secrets'
  | 'keyRing'
  | 'identityProviders'
  | 'signIn'
  | 'audit'
  | 'housekeeping'
>;

export interface MigrationReport {
  /** Names of the migrations this run applied (empty: already up to date). */
  applied: string[];
  /** Where the database is, without credentials ("embedded database in ./data"). */
  database: string;
}

/** Everything a command touches outside itself, injected so tests run commands in-process. */
export interface CliDeps {
  /** Opens the services on first call. Whoever supplies them closes them; the program never does. */
  services(): Promise<CliServices>;
  migrate(): Promise<MigrationReport>;
  stdout(text: string): void;
  stderr(text: string): void;
  /** The first line of standard input without its line ending; '' when there is none. */
  readStdinLine(): Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  /** Recorded as the actor of every audited change ("cli:alice"). */
  operatorName: string;
}

/** What a command's action receives: the dependencies and this run's operator context. */
export interface CommandDeps extends CliDeps {
  ctx: RequestContext;
}
