import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryCursorStore } from '@switchboard/client';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { bodies, clientFor, prime, recorder, sendAll } from './support.ts';

describe('@switchboard/client when retention passed its cursor while it was offline', () => {
  let node: NodeProcess;
  beforeAll(async () => {
    node = await startNode({ HISTORY_MAX_PER_USER: '5' });
  });
  afterAll(() => node?.stop());

  it('calls onGap once with the cursor it had, then delivers live messages', async () => {
    const store = memoryCursorStore();
    const alice = await tokenFor('alice');
    const first = recorder();
    const before = clientFor('dave', { url: node.wsUrl, cursorStore: store });
    before.messages(first.callbacks);
    await first.waitForLive();
    await prime(first, (body) => sendAll(node.url, 'dave', [body], alice));
    before.dispose();
    const cursor = first.messages.at(-1)?.id;
    expect(store.load()).toBe(cursor);

    // Offline: ten more messages, of which retention keeps the last five.
    await sendAll(node.url, 'dave', bodies('missed', 0, 10), alice);

    const second = recorder();
    const after = clientFor('dave', { url: node.wsUrl, cursorStore: store });
    try {
      after.messages(second.callbacks);
      await second.waitForLive();
      expect(second.gaps).toEqual([{ after: cursor }]);
      expect(second.statuses.find((s) => s.state === 'live')).toMatchObject({ recovered: false });
      const probes = await prime(second, (body) => sendAll(node.url, 'dave', [body], alice));
      expect(second.messages.map((m) => m.body)).toEqual(probes);
      expect(probes.every((body) => body.startsWith('probe-'))).toBe(true);
      expect(second.gaps).toHaveLength(1);
      expect(store.load()).toBe(second.messages.at(-1)?.id);
    } finally {
      after.dispose();
    }
  });
});
