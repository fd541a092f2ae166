import { type Child, spawnChild } from '../helpers/child-processes.ts';

// What the processes of the cluster test have in common: one shared, bounded log of what they
// said (printed when a scenario fails). Starting, waiting and killing: test/helpers/child-processes.ts.

/** The tail of every child's stdout and stderr, one line per chunk, prefixed with who said it. */
export class OutputLog {
  #text = '';
  readonly #limit: number;

  constructor(limit = 200_000) {
    this.#limit = limit;
  }

  append(who: string, chunk: string): void {
    const lines = chunk
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => `[${who}] ${line}\n`);
    this.#text = (this.#text + lines.join('')).slice(-this.#limit);
  }

  note(line: string): void {
    this.append('test', line);
  }

  text(): string {
    return this.#text;
  }

  /** A child's `onOutput`: what it writes goes here under `who`. */
  writer(who: string): (chunk: string) => void {
    return (chunk) => this.append(who, chunk);
  }

  /** Notes how `child` ended, when it does. */
  recordExit(who: string, child: Child): void {
    void child.exited.then(({ code, signal }) => this.append(who, `exited (code ${code}, signal ${signal})`));
  }
}

/** Spawns a child whose output goes to `log` under `who`. */
export function spawnLogged(
  who: string,
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; log: OutputLog },
): Child {
  const child = spawnChild(command, args, { env: options.env, onOutput: options.log.writer(who) });
  options.log.recordExit(who, child);
  return child;
}
