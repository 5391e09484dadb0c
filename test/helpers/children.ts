import type { ChildProcess } from 'node:child_process';

const alive = new Set<ChildProcess>();
let hooked = false;

/**
 * Registers a spawned server process so it is SIGKILLed if the test worker exits while it still
 * runs (a failed or timed-out test that never reached its teardown). Returns `child`.
 */
export function track<T extends ChildProcess>(child: T): T {
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const process of alive) process.kill('SIGKILL');
    });
  }
  return child;
}
