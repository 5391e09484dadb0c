import { describe, expect, it } from 'vitest';
import {
  compareCursors,
  createSwitchboardClient,
  fullJitter,
  localStorageCursorStore,
  memoryCursorStore,
  nextStep,
  readTokenClaims,
  SwitchboardClientError,
  type KeyValueStorage,
} from '@switchboard/client';
import WebSocket from 'ws';
import { tokenFor } from '../helpers/tokens.ts';

const backoff = (random: number) => ({ initialMs: 100, maxMs: 1_000, random: () => random });

describe('full-jitter backoff', () => {
  it('waits between 0 and min(maxMs, initialMs · 2^attempt)', () => {
    expect(fullJitter(backoff(0), 5)).toBe(0);
    expect(fullJitter(backoff(0.999), 0)).toBe(99);
    expect(fullJitter(backoff(0.999), 2)).toBe(399);
    expect(fullJitter(backoff(0.999), 40)).toBe(999);
  });

  it.skipIf(typeof globalThis.WebSocket === 'function')('without a global WebSocket (Node 20) asks for webSocketImpl', () => {
    expect(() => createSwitchboardClient({ url: 'ws://x/graphql', getToken: () => 't' })).toThrow(
      "Cannot create the client: this runtime has no global WebSocket: pass 'webSocketImpl'",
    );
  });

  it('refuses bounds that make no sense, naming the value', () => {
    expect(() => createSwitchboardClient({ url: 'ws://x/graphql', getToken: () => 't', backoff: { initialMs: 0 } })).toThrow(
      "Cannot use backoff: 'initialMs' must be positive: current value 0",
    );
    expect(() => createSwitchboardClient({ url: 'ws://x/graphql', getToken: () => 't', backoff: { initialMs: 500, maxMs: 100 } })).toThrow(
      "Cannot use backoff: 'maxMs' must be at least 'initialMs' (500): current value 100",
    );
  });
});

describe('what the client does after each close code', () => {
  const step = (code: number, reason = '', attempt = 0, forbidden = 0, random = 0.5) => nextStep({ code, reason }, attempt, forbidden, backoff(random));

  it('1001 (drain): reconnects to the next URL after a random 0..initialMs, so a drained node\'s clients spread out', () => {
    expect(step(1001)).toMatchObject({ delayMs: 50, nextUrl: true, reauthenticate: false });
    expect([step(1001, '', 0, 0, 0).delayMs, step(1001, '', 0, 0, 0.999).delayMs]).toEqual([0, 99]);
  });
  it('4403: fetches a fresh token and reconnects at once the first time, then backs off', () => {
    expect(step(4403, 'Token expired', 0, 1)).toMatchObject({ delayMs: 0, reauthenticate: true });
    expect(step(4403, 'Forbidden', 3, 2, 0.999).delayMs).toBe(799);
  });
  it('4601 (slow consumer): resumes after a short jittered wait', () => {
    expect(step(4601, '', 5, 0, 0.999).delayMs).toBe(99);
  });
  it('4602 (too many connections): waits at least half the maximum, so it does not hammer', () => {
    expect(step(4602, '', 0, 0, 0).delayMs).toBe(500);
    expect(step(4602, '', 0, 0, 0.999).delayMs).toBe(1000);
  });
  it('1013 (try again later): honours the retry hint in the reason, with jitter on top', () => {
    expect(step(1013, 'Try again later: retry in 1500 ms', 0, 0, 0).delayMs).toBe(1500);
    expect(step(1013, 'Try again later: retry in 1500 ms', 0, 0, 0.5).delayMs).toBe(1550);
    expect(step(1013, 'Try again later', 2, 0, 0.5).delayMs).toBe(250);
  });
  it('protocol violations (4400, 4406, 4409, 4429, 1009) wait the maximum and are flagged', () => {
    for (const code of [4400, 4406, 4409, 4429, 1009]) expect(step(code)).toMatchObject({ delayMs: 1000, suspicious: true });
  });
  it('a lost or stalled node (1006, 4499) and 4500 back off with full jitter', () => {
    for (const code of [1006, 4499, 4500]) expect(step(code, '', 3, 0, 0.999).delayMs).toBe(799);
  });
});

describe('cursors and stores', () => {
  it('orders ids numerically, not as strings', () => {
    expect(compareCursors('999-0', '1000-0')).toBeLessThan(0);
    expect(compareCursors('1000-10', '1000-9')).toBeGreaterThan(0);
    expect(compareCursors('1000-1', '1000-1')).toBe(0);
  });

  it('the localStorage store survives a new store on the same storage (a page reload)', () => {
    const data = new Map<string, string>();
    const storage: KeyValueStorage = {
      getItem: (key) => data.get(key) ?? null,
      setItem: (key, value) => void data.set(key, value),
      removeItem: (key) => void data.delete(key),
    };
    localStorageCursorStore({ key: 'k:bob', storage }).save('1-0');
    expect(localStorageCursorStore({ key: 'k:bob', storage }).load()).toBe('1-0');
    expect(localStorageCursorStore({ key: 'k:alice', storage }).load()).toBeUndefined();
    const memory = memoryCursorStore('5-0');
    expect(memory.load()).toBe('5-0');
    memory.clear();
    expect(memory.load()).toBeUndefined();
  });

  it('reads sub and exp from a token without verifying it', async () => {
    const token = await tokenFor('bob', { exp: 2_000_000_000 });
    expect(readTokenClaims(token)).toEqual({ sub: 'bob', exp: 2_000_000_000 });
    expect(readTokenClaims('not a token')).toEqual({});
  });
});

describe('custom messageReceived selections', () => {
  const client = createSwitchboardClient({ url: 'ws://127.0.0.1:9/graphql', getToken: () => 'token', webSocketImpl: WebSocket, liveness: { connectTimeoutMs: 50 } });

  it('refuses a selection without id (the cursor), with a coded error', () => {
    const attempt = () => client.messages({ document: 'subscription { messageReceived { body } }', onMessage: () => {} });
    expect(attempt).toThrow(SwitchboardClientError);
    expect(attempt).toThrow("Cannot follow messages: the 'messageReceived' selection has no 'id', and the cursor is the id");
    try {
      attempt();
    } catch (error) {
      expect((error as SwitchboardClientError).code).toBe('NO_CURSOR');
    }
  });

  it('refuses a document that is not a messageReceived subscription', () => {
    expect(() => client.messages({ document: 'query { me }', onMessage: () => {} })).toThrow(
      "Cannot follow messages: the document is not a subscription to 'messageReceived' alone",
    );
  });

  it('accepts aliases, fragments and a document without an after argument', () => {
    const stop = client.messages({
      document: 'subscription Mine { inbox: messageReceived { ...F } } fragment F on Message { id body }',
      onMessage: () => {},
    });
    stop();
    client.dispose();
  });
});
