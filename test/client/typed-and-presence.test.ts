import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { SwitchboardOnlineCountDocument, type PresenceEvent } from '@switchboard/client';
import { MessagesDocument } from '../../documents/operations.generated.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { clientFor, recorder, sendAll } from './support.ts';

describe('@switchboard/client: typed documents, custom selections, presence', () => {
  let node: NodeProcess;
  beforeAll(async () => {
    node = await startNode({ PRESENCE_GRACE_SECONDS: '0' });
  });
  afterAll(() => node?.stop());

  it('runs typed documents from the codegen, inferring their result types', async () => {
    const client = clientFor('jack', { url: node.wsUrl });
    try {
      await sendAll(node.url, 'jack', ['typed'], await tokenFor('alice'));
      const page = await client.request(MessagesDocument, { first: 10 });
      expectTypeOf(page.messages.items[0]?.body).toEqualTypeOf<string | undefined>();
      expect(page.messages.items.map((m) => m.body)).toEqual(['typed']);
      await expect(client.request(MessagesDocument, { first: 501 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    } finally {
      client.dispose();
    }
  });

  it('follows messages with a custom selection (an alias, a fragment, no after argument): only those fields, retained then live', async () => {
    const client = clientFor('kim', { url: node.wsUrl });
    const seen: Array<{ id: string; text: string }> = [];
    const feed = recorder();
    try {
      await sendAll(node.url, 'kim', ['retained'], await tokenFor('alice'));
      client.messages<{ id: string; text: string }>({
        document: 'subscription Slim { inbox: messageReceived { ...Slim } } fragment Slim on Message { id text: body }',
        initial: 'retained',
        onMessage: (message) => void seen.push(message),
        onStatus: feed.callbacks.onStatus,
      });
      await waitFor('the retained message', () => seen.length === 1);
      await feed.waitForLive();
      await sendAll(node.url, 'kim', ['live'], await tokenFor('alice'));
      await waitFor('the live message', () => seen.length === 2);
      expect(seen.map((m) => Object.keys(m).sort())).toEqual([['id', 'text'], ['id', 'text']]);
      expect(seen.map((m) => m.text)).toEqual(['retained', 'live']);
    } finally {
      client.dispose();
    }
  });

  it('onlineCount, isOnline and presenceChanged', async () => {
    const watcher = clientFor('liz', { url: node.wsUrl });
    const watched = clientFor('max', { url: node.wsUrl });
    const events: PresenceEvent[] = [];
    try {
      watcher.presenceChanged(['max'], { next: (event) => void events.push(event) });
      await waitFor('max offline', () => events.at(-1)?.online === false);
      expect(await watcher.isOnline(['max'])).toEqual([false]);
      const feed = recorder();
      const stop = watched.messages(feed.callbacks);
      await waitFor('max online', () => events.at(-1)?.online === true);
      expect(await watcher.isOnline(['max'])).toEqual([true]);
      expect(await watcher.onlineCount()).toBeGreaterThanOrEqual(2);
      expectTypeOf(await watcher.request(SwitchboardOnlineCountDocument)).toEqualTypeOf<{ onlineCount: number }>();
      stop();
      await waitFor('max offline again', () => events.at(-1)?.online === false);
      expect(events.map((e) => [e.userId, e.online])).toEqual([['max', false], ['max', true], ['max', false]]);
    } finally {
      watcher.dispose();
      watched.dispose();
    }
  });
});
