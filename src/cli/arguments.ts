import { InvalidArgumentError } from 'commander';
import { domainSchema } from '../modules/organizations/index.ts';

// Argument parsers shared by several commands: each refuses bad input with a message naming it.

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseDomain(value: string): string {
  const parsed = domainSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(`The domain ${parsed.error.issues[0]!.message}.`);
  return parsed.data;
}

/** A repeatable option's values, in the order given. */
export const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
