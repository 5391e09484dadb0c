import { describe, expect, it } from 'vitest';
import { createFaultLog } from '../../src/util/fault-log.ts';
import type { Logger } from '../../src/util/logger.ts';

function recording(): Logger & { lines: Array<[object, string]> } {
  const lines: Array<[object, string]> = [];
  const logger = {
    lines,
    error() {},
    warn: (fields: object, message: string) => void lines.push([fields, message]),
    info() {},
    debug() {},
    child: () => logger,
  };
  return logger;
}

describe('fault log', () => {
  it('logs a kind of failure once per interval, then says how many it left out', () => {
    const logger = recording();
    let time = 0;
    const log = createFaultLog(logger, 10_000, () => time);
    for (let i = 0; i < 5; i++) log.report('send:oom', { fault: 'oom' }, 'sendMessage failed in Redis');
    log.report('send:readonly', { fault: 'readonly' }, 'sendMessage failed in Redis');
    time = 10_000;
    log.report('send:oom', { fault: 'oom' }, 'sendMessage failed in Redis');
    expect(logger.lines).toEqual([
      [{ fault: 'oom' }, 'sendMessage failed in Redis'],
      [{ fault: 'readonly' }, 'sendMessage failed in Redis'],
      [{ fault: 'oom', suppressed: 4 }, 'sendMessage failed in Redis'],
    ]);
  });
});
