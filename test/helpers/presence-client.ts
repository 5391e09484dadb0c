import WebSocket from 'ws';
import { connect, post } from './graphql-client.ts';
import { tokenFor } from './tokens.ts';
import { waitFor } from './wait-for.ts';

/** One browser tab: an acknowledged graphql-ws connection (a presence session) and nothing else. */
export interface Tab {
  readonly userId: string;
  /** Closes the socket (1000) and resolves once it is closed. */
  close(): Promise<void>;
}

/**
 * Opens a graphql-transport-ws socket as `userId` and resolves once the server acknowledged it, which
 * it does after the session counts cluster-wide.
 */
export async function openTab(wsUrl: string, userId: string): Promise<Tab> {
  const token = await tokenFor(userId);
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.once('message', (data) => {
      const message = JSON.parse(String(data)) as { type?: string };
      if (message.type === 'connection_ack') resolve();
      else reject(new Error(`expected connection_ack, got ${String(data)}`));
    });
    socket.once('close', (code) => reject(new Error(`socket closed with ${code} before connection_ack`)));
    socket.once('error', reject);
  });
  return {
    userId,
    async close() {
      socket.close(1000);
      await closed;
    },
  };
}

/** A presence event as a test compares it: who and which way (the time is checked separately). */
type Seen = `${string} ${'on' | 'off'}`;

/** A presenceChanged subscription and what it received so far. */
export interface Watcher {
  /** Events in arrival order, as `"<userId> on|off"`. */
  readonly events: Seen[];
  /** Arrival times (epoch ms), parallel to `events`. */
  readonly arrivals: number[];
  readonly errors: unknown[];
  /** Resolves once `count` events arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<Seen[]>;
  /** Ends the subscription and closes the watcher's socket. */
  close(): Promise<void>;
}

export const PRESENCE_CHANGED = 'subscription Watch($ids: [ID!]!) { presenceChanged(userIds: $ids) { userId online at } }';

/**
 * Subscribes to `presenceChanged(watched)` as `watcherId` (whose own connection is a session too) and
 * resolves once the first event of every watched user (their current state) arrived.
 */
export async function watchPresence(wsUrl: string, watcherId: string, watched: readonly string[]): Promise<Watcher> {
  const client = connect(wsUrl, await tokenFor(watcherId));
  const watcher: Watcher = {
    events: [],
    arrivals: [],
    errors: [],
    waitForCount: (count, timeoutMs = 10_000) =>
      waitFor(`${count} presence events (have ${JSON.stringify(watcher.events)})`, () => {
        if (watcher.errors.length > 0) throw new Error(`presence subscription failed: ${JSON.stringify(watcher.errors)}`);
        return watcher.events.length >= count ? watcher.events : undefined;
      }, { timeoutMs }),
    async close() {
      dispose();
      await client.dispose();
    },
  };
  const dispose = client.subscribe<{ presenceChanged: { userId: string; online: boolean; at: string } }>(
    { query: PRESENCE_CHANGED, variables: { ids: watched } },
    {
      next: (result) => {
        if (result.errors !== undefined) watcher.errors.push(...result.errors);
        const event = result.data?.presenceChanged;
        if (event === undefined) return;
        watcher.events.push(`${event.userId} ${event.online ? 'on' : 'off'}`);
        watcher.arrivals.push(Date.now());
      },
      error: (error) => watcher.errors.push(error),
      complete: () => {},
    },
  );
  await watcher.waitForCount(new Set(watched).size);
  return watcher;
}

/** `onlineCount` over HTTP (a query is not a session). */
export async function onlineCount(url: string): Promise<number> {
  const response = await post<{ onlineCount: number }>(url, '{ onlineCount }', {}, await tokenFor('counter'));
  if (response.data?.onlineCount === undefined) throw new Error(`onlineCount failed: ${JSON.stringify(response.errors)}`);
  return response.data.onlineCount;
}

/** `isOnline` over HTTP. */
export async function isOnline(url: string, userIds: readonly string[]): Promise<boolean[]> {
  const response = await post<{ isOnline: boolean[] }>(url, 'query On($ids: [ID!]!) { isOnline(userIds: $ids) }', { ids: userIds }, await tokenFor('counter'));
  if (response.data?.isOnline === undefined) throw new Error(`isOnline failed: ${JSON.stringify(response.errors)}`);
  return response.data.isOnline;
}
