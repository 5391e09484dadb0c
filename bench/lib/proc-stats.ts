import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = readClockTicks();

function readClockTicks(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}

/**
 * CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat.
 * Resolution is one clock tick (usually 10 ms).
 * @throws when the process does not exist.
 */
export function cpuMillis(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size of a process in KiB (VmRSS from /proc/<pid>/status). @throws when it does not exist. */
function rssKib(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/mu.exec(status);
  if (match?.[1] === undefined) throw new Error(`Cannot read RSS: /proc/${pid}/status has no VmRSS line`);
  return Number(match[1]);
}

/** Sum of {@link cpuMillis} over `pids`. */
export const totalCpuMillis = (pids: readonly number[]): number => pids.reduce((sum, pid) => sum + cpuMillis(pid), 0);

/** Sum of {@link rssKib} over `pids`. */
export const totalRssKib = (pids: readonly number[]): number => pids.reduce((sum, pid) => sum + rssKib(pid), 0);

/** The soft limit on open files of this process (children inherit it). */
export function openFileLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const match = /^Max open files\s+(\d+|unlimited)/mu.exec(limits);
  return match?.[1] === undefined || match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
}
