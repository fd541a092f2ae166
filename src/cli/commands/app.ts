import type { Command } from 'commander';
import type { CommandDeps } from '../program.ts';

/** `canopy app create|list`. Placeholder: the real commands replace this file. */
export function registerApp(_program: Command, _deps: CommandDeps): void {}
