import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NodeProcess } from '../helpers/node-process.ts';
import { isOnline, onlineCount, openTab, watchPresence, type Tab, type Watcher } from '../helpers/presence-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** Presence settings every target starts its nodes with: short, so the suite stays quick. */
export const PRESENCE_ENV = { PRESENCE_TTL_SECONDS: '2', PRESENCE_GRACE_SECONDS: '1' } as const;

/** Running nodes: one for the memory store (every "node" below is then that one), several for Redis. */
export interface PresenceTarget {
  readonly nodes: readonly NodeProcess[];
  stop(): Promise<void>;
}

/**
 * The presence behaviour every store must have, through real node processes and real sockets. With
 * one node, "another node" is the same node: the semantics must not differ.
 */
export function describePresence(name: string, start: () => Promise<PresenceTarget>): void {
  describe(`presence: ${name}`, () => {
    let target: PresenceTarget;
    const node = (index: number): NodeProcess => target.nodes[index % target.nodes.length] as NodeProcess;
    const open: Array<Tab | Watcher> = [];
    const tab = async (index: number, userId: string) => {
      const opened = await openTab(node(index).wsUrl, userId);
      open.push(opened);
      return opened;
    };
    const watch = async (index: number, watcherId: string, watched: string[]) => {
      const watcher = await watchPresence(node(index).wsUrl, watcherId, watched);
      open.push(watcher);
      return watcher;
    };

    beforeAll(async () => {
      target = await start();
    });
    afterAll(async () => {
      await Promise.allSettled(open.map((item) => item.close()));
      await target?.stop();
    });
    // Every test starts from an empty cluster (the previous test's users leave after the grace period).
    beforeEach(async () => {
      await Promise.allSettled(open.splice(0).map((item) => item.close()));
      await waitFor('nobody online', async () => (await onlineCount(node(0).url)) === 0);
    });

    it('counts a user with tabs on two nodes once, online on the first tab and offline after the last', async () => {
      const watcher = await watch(0, 'watcher', ['alice', 'bob']);
      expect(watcher.events).toEqual(['alice off', 'bob off']);
      const alice = [await tab(0, 'alice'), await tab(0, 'alice'), await tab(1, 'alice')];
      const bob = [await tab(1, 'bob'), await tab(1, 'bob')];
      await watcher.waitForCount(4);
      expect(watcher.events).toEqual(['alice off', 'bob off', 'alice on', 'bob on']);
      // The watcher's own connection is a session too.
      expect(await onlineCount(node(0).url)).toBe(3);
      expect(await onlineCount(node(1).url)).toBe(3);
      expect(await isOnline(node(1).url, ['alice', 'bob', 'carol', 'alice'])).toEqual([true, true, false, true]);

      await alice[2]?.close();
      await alice[0]?.close();
      await bob[0]?.close();
      expect(await onlineCount(node(0).url)).toBe(3);
      await alice[1]?.close();
      await watcher.waitForCount(5);
      await bob[1]?.close();
      await watcher.waitForCount(6);
      expect(watcher.events).toEqual(['alice off', 'bob off', 'alice on', 'bob on', 'alice off', 'bob off']);
      expect(await onlineCount(node(1).url)).toBe(1);
      expect(await isOnline(node(0).url, ['alice', 'bob', 'watcher'])).toEqual([false, false, true]);
    });

    it('a reconnect within the grace period, to the same node or another, emits no offline/online pair', async () => {
      const first = await tab(0, 'flapper');
      const marker = await tab(0, 'marker');
      const watcher = await watch(1, 'watcher', ['flapper', 'marker']);
      expect(watcher.events).toEqual(['flapper on', 'marker on']);

      await first.close();
      const second = await tab(0, 'flapper'); // same node
      await second.close();
      const third = await tab(1, 'flapper'); // another node
      // The marker's grace timer runs out after every timer the flapper's closes started, on the same
      // node, and its event is published after theirs: once it arrives, any flapper event would have.
      await marker.close();
      await watcher.waitForCount(3);
      expect(watcher.events).toEqual(['flapper on', 'marker on', 'marker off']);
      expect(await onlineCount(node(0).url)).toBe(2);

      await third.close();
      await watcher.waitForCount(4);
      expect(watcher.events).toEqual(['flapper on', 'marker on', 'marker off', 'flapper off']);
    });

    it('stays online during the grace period after the last session closes', async () => {
      const only = await tab(0, 'leaver');
      const watcher = await watch(1, 'watcher', ['leaver']);
      await only.close();
      // Read inside the grace period: the count still includes the leaver (the watcher's is the other).
      const closedAt = Date.now();
      const count = await onlineCount(node(1).url);
      if (Date.now() - closedAt < 500) expect(count).toBe(2);
      await watcher.waitForCount(2);
      expect(watcher.events).toEqual(['leaver on', 'leaver off']);
      expect(watcher.arrivals[1]! - closedAt).toBeGreaterThanOrEqual(Number(PRESENCE_ENV.PRESENCE_GRACE_SECONDS) * 1000 - 100);
    });
  });
}
