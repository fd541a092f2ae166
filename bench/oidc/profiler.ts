// A CPU profile of a server process over exactly one measured window, started and stopped by the
// benchmark over IPC (the inspector's sampling profiler, the one `--cpu-prof` uses).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

// The interval `--cpu-prof` uses: finer sampling slowed the server by about a third.
const SAMPLING_INTERVAL_US = 1000;

export function createProfiler() {
  let session: Session | undefined;
  return {
    async start(): Promise<void> {
      if (session) throw new Error('a profile is already running');
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
      await session.post('Profiler.start');
    },
    /** Writes the profile to `file` (a `.cpuprofile`, which Chrome DevTools also opens). */
    async stop(file: string): Promise<string> {
      if (!session) throw new Error('no profile is running');
      const { profile } = await session.post('Profiler.stop');
      await session.post('Profiler.disable');
      session.disconnect();
      session = undefined;
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}
