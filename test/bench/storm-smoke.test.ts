import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../bench/storm/scenarios.ts';
import { compileProject } from '../helpers/compile.ts';

// The reconnect storm (`npm run test:storm`) at CI size: real node processes (dist/main.js), a
// private redis-server, two load processes of real graphql-ws sockets. 1,000 users lose their node —
// SIGKILL, or a drain (1001) in a rolling restart — and resume elsewhere with `after` while messages
// keep flowing. Only delivery is asserted (nothing lost, nothing twice, in order, to the right user);
// the figures it prints are never asserted: this machine's timings are not a contract.

const run = promisify(execFile);

async function storm(args: string[]): Promise<ScenarioResult> {
  // Niced: it saturates both cores for a few seconds and asserts no timing, so the suite's
  // timing-sensitive tests beside it keep their CPU.
  const { stdout } = await run('nice', ['-n', '5', process.execPath, 'bench/dist/storm/run.js', '--json', '--workers', '2', '--pause-ms', '1000', ...args], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 170_000,
  });
  process.stdout.write(stdout.split('\n').filter((line) => !line.startsWith('STORM ')).join('\n'));
  const line = stdout.split('\n').find((candidate) => candidate.startsWith('STORM '));
  expect(line, `the storm's output:\n${stdout}`).toBeDefined();
  return JSON.parse((line as string).slice('STORM '.length)) as ScenarioResult;
}

function expectNothingLostOrDoubled(result: ScenarioResult, moved: number): void {
  expect(result.storms.length).toBeGreaterThan(0);
  for (const { title, figures } of result.storms) {
    expect(figures.acknowledged, title).toBeGreaterThan(0);
    expect({ title, lost: figures.lost, duplicates: figures.duplicates, outOfOrder: figures.outOfOrder, misrouted: figures.misrouted }).toEqual({
      title,
      lost: 0,
      duplicates: 0,
      outOfOrder: 0,
      misrouted: 0,
    });
  }
  expect(result.storms.reduce((sum, storm) => sum + storm.figures.moved, 0)).toBeGreaterThanOrEqual(moved);
}

beforeAll(() => {
  // src/ is compiled by the global setup; the harness compiles to bench/dist.
  compileProject('bench/storm/tsconfig.json');
}, 120_000);

describe('reconnect storm, CI size', () => {
  it("1,000 users of a SIGKILLed node resume on the survivor with 'after': nothing lost, nothing twice", { timeout: 180_000 }, async () => {
    const result = await storm(['--scenario', 'kill', '--users', '1000', '--steady', '100', '--rate', '100']);
    expectNothingLostOrDoubled(result, 1000);
  });

  it('a rolling restart (two of three nodes drained with 1001 in turn) under load loses and doubles nothing', { timeout: 180_000 }, async () => {
    const result = await storm(['--scenario', 'rolling', '--users', '450', '--steady', '100', '--rate', '100']);
    expect(result.storms.map((storm) => storm.title.split(':')[0])).toEqual(['drain n0', 'drain n1']);
    expectNothingLostOrDoubled(result, 450);
  });
});
