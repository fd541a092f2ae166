import type { Command } from 'commander';
import type { CommandDeps } from '../program.ts';

/** `canopy keys rotate|list`. Placeholder: the real commands replace this file. */
export function registerKeys(_program: Command, _deps: CommandDeps): void {}
