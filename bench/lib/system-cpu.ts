import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

const TICK_MS = 10; // USER_HZ is 100 on Linux for /proc/stat, whatever CONFIG_HZ is

/** CPU time the whole machine has been busy (all processes, all cores), in ms, from /proc/stat. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/u).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) * TICK_MS;
}

/**
 * Waits until the machine is quiet — less than `maxShare` of its CPU busy over one second — so a
 * run does not start while something else (a test suite, a build) is using the cores. Gives up
 * after `timeoutMs`. Resolves the busy share of the last second measured.
 */
export async function waitForQuiet(maxShare: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  const capacity = availableParallelism() * 1000;
  for (;;) {
    const before = machineBusyMs();
    await sleep(1000);
    const share = (machineBusyMs() - before) / capacity;
    if (share < maxShare || performance.now() > deadline) return share;
  }
}
