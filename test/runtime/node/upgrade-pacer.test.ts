import { PassThrough } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { UpgradePacer } from '../../../src/runtime/node/upgrade-pacer.ts';

describe('UpgradePacer', () => {
  it('completes at most perTurn upgrades per event-loop turn, in arrival order', async () => {
    const pacer = new UpgradePacer(3);
    const done: number[] = [];
    for (let i = 0; i < 7; i++) pacer.submit(new PassThrough(), () => done.push(i));
    expect({ done: [...done], waiting: pacer.waiting }).toEqual({ done: [], waiting: 7 });
    await nextTurn();
    expect(done).toEqual([0, 1, 2]);
    await nextTurn();
    expect(done).toEqual([0, 1, 2, 3, 4, 5]);
    await nextTurn();
    expect({ done, waiting: pacer.waiting }).toEqual({ done: [0, 1, 2, 3, 4, 5, 6], waiting: 0 });
  });

  it('skips a socket that closed while it waited, and survives its error', async () => {
    const pacer = new UpgradePacer(10);
    const gone = new PassThrough();
    const done: string[] = [];
    pacer.submit(gone, () => done.push('gone'));
    pacer.submit(new PassThrough(), () => done.push('kept'));
    // Without the pacer's listener, an 'error' with none would throw.
    gone.destroy(new Error('ECONNRESET'));
    await nextTurn();
    await nextTurn();
    expect(done).toEqual(['kept']);
  });

  it('hands a served socket back without its waiting-time error listener', async () => {
    const pacer = new UpgradePacer(1);
    const socket = new PassThrough();
    let listeners = -1;
    pacer.submit(socket, () => (listeners = socket.listenerCount('error')));
    expect(socket.listenerCount('error')).toBe(1);
    await nextTurn();
    expect(listeners).toBe(0);
  });

  it('keeps serving a long queue across the compaction of what it served', async () => {
    const pacer = new UpgradePacer(500);
    let done = 0;
    for (let i = 0; i < 3000; i++) pacer.submit(new PassThrough(), () => (done += 1));
    for (let turn = 0; turn < 6; turn++) await nextTurn();
    expect({ done, waiting: pacer.waiting }).toEqual({ done: 3000, waiting: 0 });
  });
});
