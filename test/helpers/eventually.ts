import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls until `check` holds; says whether it did within `timeoutMs`. For what crosses nodes
 * asynchronously (a signal over Redis pub/sub), where the test asserts on the answer.
 */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 2000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
}
