import type { ChildProcess } from 'node:child_process';

/**
 * Every child process the orchestrator has started and not yet seen exit, so that an interrupted
 * run (Ctrl-C, a timeout killing `npm run bench`) leaves no redis-server or node behind.
 */
const live = new Set<ChildProcess>();

/** Remembers `child` until it exits. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Kills every tracked child when this process exits or is told to stop. Call once, at start. */
export function installReaper(): void {
  const killAll = () => {
    for (const child of live) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping every process this run started\n`);
      killAll();
      process.exit(130);
    });
  }
}
