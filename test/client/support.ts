import WebSocket from 'ws';
import {
  createSwitchboardClient,
  type FeedGap,
  type FeedStatus,
  type SwitchboardClient,
  type SwitchboardClientOptions,
  type SwitchboardMessage,
} from '@switchboard/client';
import { post, SEND } from '../helpers/graphql-client.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** A client for `userId` on Node 20 (`ws` as the WebSocket), fast liveness and backoff for tests. */
export function clientFor(userId: string, options: Partial<SwitchboardClientOptions> & Pick<SwitchboardClientOptions, 'url'>): SwitchboardClient {
  return createSwitchboardClient({
    getToken: () => tokenFor(userId),
    webSocketImpl: WebSocket,
    backoff: { initialMs: 100, maxMs: 1_000 },
    liveness: { pingIntervalMs: 1_000, pongTimeoutMs: 1_000, connectTimeoutMs: 3_000 },
    ...options,
  });
}

/** What a feed delivered, in order, with its statuses and gaps. */
export interface Recorder {
  readonly messages: SwitchboardMessage[];
  readonly statuses: FeedStatus[];
  readonly gaps: FeedGap[];
  readonly errors: unknown[];
  /** Callbacks for `client.messages`. */
  readonly callbacks: {
    onMessage: (message: SwitchboardMessage) => void;
    onStatus: (status: FeedStatus) => void;
    onGap: (gap: FeedGap) => void;
    onError: (error: unknown) => void;
  };
  /** Waits until `count` messages arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<void>;
  /** Waits until the feed reported `live` `times` times in all. */
  waitForLive(times?: number, timeoutMs?: number): Promise<void>;
}

/** A fresh {@link Recorder}. */
export function recorder(): Recorder {
  const messages: SwitchboardMessage[] = [];
  const statuses: FeedStatus[] = [];
  const gaps: FeedGap[] = [];
  const errors: unknown[] = [];
  return {
    messages,
    statuses,
    gaps,
    errors,
    callbacks: {
      onMessage: (message) => void messages.push(message),
      onStatus: (status) => void statuses.push(status),
      onGap: (gap) => void gaps.push(gap),
      onError: (error) => void errors.push(error),
    },
    waitForCount: (count, timeoutMs = 30_000) =>
      waitFor(`${count} messages (have ${messages.length})`, () => messages.length >= count, { timeoutMs }).then(() => undefined),
    waitForLive: (times = 1, timeoutMs = 20_000) =>
      waitFor(`live ×${times}`, () => statuses.filter((s) => s.state === 'live').length >= times, { timeoutMs }).then(() => undefined),
  };
}

/** Sends `bodies` one after another through `url` (HTTP), each acknowledged before the next. */
export async function sendAll(url: string, to: string, bodies: readonly string[], fromToken: string): Promise<void> {
  for (const body of bodies) {
    const result = await post(url, SEND, { to, body }, fromToken);
    if (result.errors !== undefined) throw new Error(`send ${body} failed: ${JSON.stringify(result.errors)}`);
  }
}

/** `m0`, `m1`, … `m<count-1>` with a prefix. */
export const bodies = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

/** Every delivered message once, in order: ids strictly increasing, and the bodies exactly `expected`. */
export function deliveredExactly(messages: readonly SwitchboardMessage[]): { bodies: string[]; unique: number; increasing: boolean } {
  const ids = messages.map((m) => m.id);
  const increasing = ids.every((id, i) => i === 0 || compareIds(ids[i - 1] as string, id) < 0);
  return { bodies: messages.map((m) => m.body), unique: new Set(ids).size, increasing };
}

function compareIds(a: string, b: string): number {
  const [ams = 0n, aseq = 0n] = a.split('-').map(BigInt);
  const [bms = 0n, bseq = 0n] = b.split('-').map(BigInt);
  return ams === bms ? Number(aseq - bseq) : ams < bms ? -1 : 1;
}

/**
 * Waits until `feed`'s subscription is in place: a feed without a cursor starts with what is
 * published once the server holds its subscription, which the client cannot observe (over SSE the
 * request is still on its way when `live` is reported). Sends probes until one arrives, then waits
 * for the last one sent (published after the one that arrived, so it must arrive too). From then
 * on the feed has a cursor and nothing may be lost. Returns the bodies delivered so far.
 */
export async function prime(feed: Recorder, send: (body: string) => Promise<void>): Promise<string[]> {
  let last = '';
  for (let i = 0; feed.messages.length === 0; i++) {
    if (i === 20) throw new Error('no probe arrived in 20 tries');
    last = `probe-${i}`;
    await send(last);
    await waitFor('a probe', () => feed.messages.length > 0, { timeoutMs: 500 }).catch(() => undefined);
  }
  await waitFor(`the last probe (${last})`, () => feed.messages.some((m) => m.body === last));
  return feed.messages.map((m) => m.body);
}
