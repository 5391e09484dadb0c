import { readFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';
import { openFileLimit } from '../lib/proc-stats.ts';
import { redisVersion } from '../lib/redis.ts';
import type { Machine } from '../orchestrator/types.ts';

/** Describes this machine for the report. */
export function describeMachine(): Machine {
  let cpuModel = 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/mu.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  return {
    cpus: availableParallelism(),
    cpuModel,
    memoryGib: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    redis: redisVersion(),
    openFileLimit: openFileLimit(),
  };
}
