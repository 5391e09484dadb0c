import { GraphQLError, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { OperationWatcher, Outcome, PushedStream } from '../../../src/transport/ws/operation.ts';
import { createProtocol, type ProtocolSession, type SocketRules } from '../../../src/transport/ws/protocol-server.ts';
import { waitFor } from '../../helpers/wait-for.ts';

/**
 * The protocol server in process, against a socket that records what it is sent, and rules that
 * record what they are told: every rule of graphql-transport-ws it enforces, one case each. Over real
 * sockets, with graphql-ws's, Apollo's and urql's clients, the same rules run in test/interop,
 * test/security (hostile catalogue, fuzzer) and test/runtime/deno/runtime-parity.test.ts.
 */

interface Recorded {
  readonly sent: unknown[];
  closes: Array<{ code: number; reason: string }>;
  /** How often the session told its socket the handshake ended. */
  handshakes: number;
  readonly told: string[];
  readonly errors: unknown[];
}

/** A stream the test drives: `push` yields a result, `end` finishes it; `returned` tells whether the server ended it. */
function controlledStream() {
  const results: ExecutionResult[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  const state = { returned: false };
  const stream: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      while (results.length === 0 && !finished) await new Promise<void>((resolve) => (wake = resolve));
      const value = results.shift();
      return value === undefined ? { done: true, value: undefined } : { done: false, value };
    },
    async return() {
      state.returned = true;
      finished = true;
      wake?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return {
    stream,
    state,
    push(result: ExecutionResult) {
      results.push(result);
      wake?.();
    },
    end() {
      finished = true;
      wake?.();
    },
  };
}

/** An operation that writes its own frames (as a pushed subscription does): the test tells its watcher when it is over. */
function pushedOperation() {
  const state: { watcher: OperationWatcher | undefined; starts: number; returns: number } = { watcher: undefined, starts: 0, returns: 0 };
  const operation: PushedStream = {
    start(watcher) {
      state.starts += 1;
      state.watcher = watcher;
    },
    return() {
      state.returns += 1;
    },
  };
  return { operation, state };
}

function open(
  overrides: Partial<SocketRules<'raw', string>> = {},
  options: { protocol?: string } = {},
): { session: ProtocolSession; recorded: Recorded; frame(message: unknown): void; settle(): Promise<void> } {
  const recorded: Recorded = { sent: [], closes: [], handshakes: 0, told: [], errors: [] };
  const rules: SocketRules<'raw', string> = {
    initTimeoutMs: 3_000,
    connect: async (raw, params) => (params?.['authorization'] === 'ok' ? { connection: `conn(${raw})`, ready: Promise.resolve() } : undefined),
    subscribe: async () => ({ data: { hello: 'world' } }),
    beforeNext: (connection) => void recorded.told.push(`beforeNext ${connection}`),
    disconnected: (connection, code) => void recorded.told.push(`disconnected ${connection} ${code}`),
    closed: (connection) => void recorded.told.push(`closed ${connection ?? 'none'}`),
    internalError: (error) => void recorded.errors.push(error),
    ...overrides,
  };
  const session = createProtocol(rules).open(
    {
      protocol: options.protocol ?? 'graphql-transport-ws',
      send: (data) => void recorded.sent.push(JSON.parse(data)),
      close: (code, reason) => void recorded.closes.push({ code, reason }),
      handshakeEnded: () => void (recorded.handshakes += 1),
    },
    'raw',
  );
  return {
    session,
    recorded,
    frame: (message) => session.receive(typeof message === 'string' ? message : JSON.stringify(message)),
    // Every step of the server is a few promise turns.
    settle: () => new Promise((resolve) => setTimeout(resolve, 5)),
  };
}

async function acknowledged(overrides: Partial<SocketRules<'raw', string>> = {}) {
  const socket = open(overrides);
  socket.frame({ type: 'connection_init', payload: { authorization: 'ok' } });
  await waitFor('connection_ack', () => socket.recorded.handshakes === 1);
  socket.recorded.sent.length = 0;
  return socket;
}

describe('graphql-transport-ws protocol server (transport/ws/protocol-server.ts)', () => {
  it('acknowledges a connection the rules accept, once, and tells the binding its handshake ended, once', async () => {
    const { session, recorded, frame, settle } = open();
    frame({ type: 'connection_init', payload: { authorization: 'ok' } });
    await settle();
    expect(recorded.sent).toEqual([{ type: 'connection_ack' }]);
    expect(recorded.handshakes).toBe(1);
    expect(recorded.closes).toEqual([]);
    session.closed(1000, '');
    await settle();
    expect(recorded.handshakes).toBe(1);
  });

  it('waits for the rules ready promise before the acknowledgement', async () => {
    let ready!: () => void;
    const { recorded, frame, settle } = open({ connect: async () => ({ connection: 'c', ready: new Promise<void>((resolve) => (ready = resolve)) }) });
    frame({ type: 'connection_init' });
    await settle();
    expect(recorded.sent).toEqual([]);
    ready();
    await settle();
    expect(recorded.sent).toEqual([{ type: 'connection_ack' }]);
  });

  it('closes with 4403 when the rules refuse connection_init', async () => {
    const { recorded, frame, settle } = open();
    frame({ type: 'connection_init', payload: { authorization: 'wrong' } });
    await settle();
    expect(recorded.closes).toEqual([{ code: 4403, reason: 'Forbidden' }]);
    expect(recorded.sent).toEqual([]);
    // The handshake ends when the socket has closed.
    expect(recorded.handshakes).toBe(0);
  });

  it('closes with 4406 a socket without the subprotocol, and reads none of its frames; its handshake ends with the close', async () => {
    const { session, recorded, frame, settle } = open({}, { protocol: '' });
    frame({ type: 'connection_init', payload: { authorization: 'ok' } });
    await settle();
    expect(recorded.closes).toEqual([{ code: 4406, reason: 'Subprotocol not acceptable' }]);
    expect(recorded.sent).toEqual([]);
    session.closed(4406, 'Subprotocol not acceptable');
    expect(recorded.handshakes).toBe(1);
  });

  it('closes with 4408 when no connection_init comes within the timeout, and not when one came', async () => {
    const silent = open({ initTimeoutMs: 20 });
    const prompt = open({ initTimeoutMs: 20 });
    prompt.frame({ type: 'connection_init', payload: { authorization: 'ok' } });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(silent.recorded.closes).toEqual([{ code: 4408, reason: 'Connection initialisation timeout' }]);
    expect(prompt.recorded.closes).toEqual([]);
  });

  it('closes with 4429 on a second connection_init', async () => {
    const { recorded, frame, settle } = await acknowledged();
    frame({ type: 'connection_init', payload: { authorization: 'ok' } });
    await settle();
    expect(recorded.closes).toEqual([{ code: 4429, reason: 'Too many initialisation requests' }]);
  });

  it('closes with 4401 a subscribe before connection_ack', async () => {
    const { recorded, frame, settle } = open();
    frame({ type: 'subscribe', id: '1', payload: { query: '{ hello }' } });
    await settle();
    expect(recorded.closes).toEqual([{ code: 4401, reason: 'Unauthorized' }]);
  });

  it.each([
    ['not JSON', '{"type":'],
    ['not an object', '[]'],
    ['no type', { id: '1' }],
    ['a type that is not a string', { type: 7 }],
    ['an unknown type', { type: 'start', id: '1', payload: { query: '{ hello }' } }],
    ['connection_ack (only a server sends it)', { type: 'connection_ack' }],
    ['next (only a server sends it)', { type: 'next', id: '1', payload: {} }],
    ['error (only a server sends it)', { type: 'error', id: '1', payload: [{ message: 'x' }] }],
    ['a ping whose payload is not an object', { type: 'ping', payload: 'hi' }],
    ['a subscribe without an id', { type: 'subscribe', payload: { query: '{ hello }' } }],
    ['a subscribe with an empty id', { type: 'subscribe', id: '', payload: { query: '{ hello }' } }],
    ['a subscribe without a query', { type: 'subscribe', id: '1', payload: {} }],
    ['a subscribe whose variables are an array', { type: 'subscribe', id: '1', payload: { query: '{ hello }', variables: [] } }],
    ['a subscribe whose operationName is a number', { type: 'subscribe', id: '1', payload: { query: '{ hello }', operationName: 1 } }],
    ['a subscribe whose extensions are a string', { type: 'subscribe', id: '1', payload: { query: '{ hello }', extensions: 'x' } }],
    ['a complete without an id', { type: 'complete' }],
  ])('closes with 4400 on %s', async (_name, message) => {
    const { recorded, frame, settle } = await acknowledged();
    frame(message);
    await settle();
    expect(recorded.closes).toEqual([{ code: 4400, reason: 'Invalid message received' }]);
    expect(recorded.sent).toEqual([]);
  });

  it('answers ping with pong, carrying the ping payload, before and after the acknowledgement', async () => {
    const { recorded, frame, settle } = open();
    frame({ type: 'ping' });
    frame({ type: 'ping', payload: { at: 1 } });
    await settle();
    expect(recorded.sent).toEqual([{ type: 'pong' }, { type: 'pong', payload: { at: 1 } }]);
    frame({ type: 'pong', payload: { at: 2 } });
    await settle();
    expect(recorded.sent).toHaveLength(2);
    expect(recorded.closes).toEqual([]);
  });

  it('sends a single result as next then complete, checking the slow-consumer rule before the frame', async () => {
    const { recorded, frame, settle } = await acknowledged({ subscribe: async () => ({ data: { hello: 'world' }, errors: [new GraphQLError('partial')] }) });
    frame({ type: 'subscribe', id: 'q', payload: { query: '{ hello }' } });
    await settle();
    expect(recorded.sent).toEqual([
      { id: 'q', type: 'next', payload: { data: { hello: 'world' }, errors: [{ message: 'partial' }] } },
      { id: 'q', type: 'complete' },
    ]);
    expect(recorded.told).toEqual(['beforeNext conn(raw)']);
  });

  it('sends errors from before execution as one error message, with no complete', async () => {
    const { recorded, frame, settle } = await acknowledged({ subscribe: async () => [new GraphQLError('bad', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })] });
    frame({ type: 'subscribe', id: 'v', payload: { query: '{ nope }' } });
    await settle();
    expect(recorded.sent).toEqual([{ id: 'v', type: 'error', payload: [{ message: 'bad', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] }]);
  });

  it('streams a subscription as next frames, then complete when it ends; counts operations in flight', async () => {
    const controlled = controlledStream();
    const inFlight: number[] = [];
    const { recorded, frame, settle } = await acknowledged({
      subscribe: async (_connection, _id, _payload, count): Promise<Outcome> => {
        inFlight.push(count);
        return controlled.stream;
      },
    });
    frame({ type: 'subscribe', id: 's', payload: { query: 'subscription { tick }' } });
    await settle();
    controlled.push({ data: { tick: 1 } });
    controlled.push({ data: { tick: 2 } });
    await settle();
    controlled.end();
    await settle();
    expect(recorded.sent).toEqual([
      { id: 's', type: 'next', payload: { data: { tick: 1 } } },
      { id: 's', type: 'next', payload: { data: { tick: 2 } } },
      { id: 's', type: 'complete' },
    ]);
    expect(inFlight).toEqual([1]);
  });

  it('closes with 4409 a subscribe with the id of an operation in flight, and takes the id again once it ended', async () => {
    const controlled = controlledStream();
    const { recorded, frame, settle } = await acknowledged({ subscribe: async () => controlled.stream });
    frame({ type: 'subscribe', id: 'dup', payload: { query: 'subscription { tick }' } });
    await settle();
    frame({ type: 'subscribe', id: 'dup', payload: { query: 'subscription { tick }' } });
    await settle();
    expect(recorded.closes).toEqual([{ code: 4409, reason: 'Subscriber for dup already exists' }]);
  });

  it("ends the stream on the client's complete and sends no complete back", async () => {
    const controlled = controlledStream();
    const { recorded, frame, settle } = await acknowledged({ subscribe: async () => controlled.stream });
    frame({ type: 'subscribe', id: 's', payload: { query: 'subscription { tick }' } });
    await settle();
    frame({ type: 'complete', id: 's' });
    await settle();
    expect(controlled.state.returned).toBe(true);
    expect(recorded.sent).toEqual([]);
  });

  it('a new operation may take the id of one the client completed while it still ends', async () => {
    const first = controlledStream();
    const second = controlledStream();
    const streams = [first.stream, second.stream];
    const { recorded, frame, settle } = await acknowledged({ subscribe: async () => streams.shift() as Outcome });
    frame({ type: 'subscribe', id: 'x', payload: { query: 'subscription { tick }' } });
    await settle();
    frame({ type: 'complete', id: 'x' });
    frame({ type: 'subscribe', id: 'x', payload: { query: 'subscription { tick }' } });
    await settle();
    second.push({ data: { tick: 1 } });
    second.end();
    await settle();
    expect(recorded.closes).toEqual([]);
    expect(recorded.sent).toEqual([
      { id: 'x', type: 'next', payload: { data: { tick: 1 } } },
      { id: 'x', type: 'complete' },
    ]);
  });

  it('ends a stream that started after its client completed it', async () => {
    const controlled = controlledStream();
    let start!: () => void;
    const { recorded, frame, settle } = await acknowledged({
      subscribe: async () => {
        await new Promise<void>((resolve) => (start = resolve));
        return controlled.stream;
      },
    });
    frame({ type: 'subscribe', id: 'late', payload: { query: 'subscription { tick }' } });
    await settle();
    frame({ type: 'complete', id: 'late' });
    await settle();
    start();
    await settle();
    expect(controlled.state.returned).toBe(true);
    expect(recorded.sent).toEqual([]);
  });

  it('sends an error message when a stream throws', async () => {
    const stream: AsyncIterable<ExecutionResult> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.reject(new Error('stream broke')),
      }),
    };
    const { recorded, frame, settle } = await acknowledged({ subscribe: async () => stream });
    frame({ type: 'subscribe', id: 'e', payload: { query: 'subscription { tick }' } });
    await settle();
    expect(recorded.sent).toEqual([{ id: 'e', type: 'error', payload: [{ message: 'stream broke' }] }]);
  });

  it('starts a pushed operation once it holds its id; complete when it ends by itself, error when it failed', async () => {
    const ending = pushedOperation();
    const failing = pushedOperation();
    const operations: Outcome[] = [ending.operation, failing.operation, { data: { hello: 'again' } }];
    const { recorded, frame, settle } = await acknowledged({ subscribe: async () => operations.shift() as Outcome });
    frame({ type: 'subscribe', id: 'p1', payload: { query: 'subscription { tick }' } });
    frame({ type: 'subscribe', id: 'p2', payload: { query: 'subscription { tick }' } });
    await settle();
    expect([ending.state.starts, failing.state.starts, recorded.sent]).toEqual([1, 1, []]);
    ending.state.watcher?.ended();
    failing.state.watcher?.failed(new Error('socket write failed'));
    // Told twice: the operation is over, nothing more goes out.
    ending.state.watcher?.ended();
    expect(recorded.sent).toEqual([
      { id: 'p1', type: 'complete' },
      { id: 'p2', type: 'error', payload: [{ message: 'socket write failed' }] },
    ]);
    // The id is free again.
    frame({ type: 'subscribe', id: 'p1', payload: { query: '{ hello }' } });
    await settle();
    expect(recorded.closes).toEqual([]);
    expect(recorded.sent.slice(2)).toEqual([
      { id: 'p1', type: 'next', payload: { data: { hello: 'again' } } },
      { id: 'p1', type: 'complete' },
    ]);
  });

  it("returns a pushed operation on the client's complete and on close, and sends nothing when it then reports its end", async () => {
    const completed = pushedOperation();
    const closed = pushedOperation();
    const late = pushedOperation();
    let startLate!: () => void;
    const operations = [completed.operation, closed.operation];
    const { session, recorded, frame, settle } = await acknowledged({
      subscribe: async (_connection, id) => {
        if (id !== 'late') return operations.shift() as Outcome;
        await new Promise<void>((resolve) => (startLate = resolve));
        return late.operation;
      },
    });
    frame({ type: 'subscribe', id: 'c', payload: { query: 'subscription { tick }' } });
    frame({ type: 'subscribe', id: 's', payload: { query: 'subscription { tick }' } });
    frame({ type: 'subscribe', id: 'late', payload: { query: 'subscription { tick }' } });
    await settle();
    frame({ type: 'complete', id: 'c' });
    frame({ type: 'complete', id: 'late' });
    await settle();
    completed.state.watcher?.ended();
    startLate();
    await settle();
    // Completed while it started: returned, never started.
    expect([late.state.starts, late.state.returns]).toEqual([0, 1]);
    session.closed(1000, 'bye');
    await settle();
    closed.state.watcher?.failed(new Error('too late'));
    expect([completed.state.returns, closed.state.returns, recorded.sent]).toEqual([1, 1, []]);
  });

  it('closes with 4500 and reports once when a rule throws', async () => {
    const { recorded, frame, settle } = await acknowledged({
      subscribe: async () => {
        throw new Error('rule failed');
      },
    });
    frame({ type: 'subscribe', id: 'f', payload: { query: '{ hello }' } });
    await settle();
    expect(recorded.closes).toEqual([{ code: 4500, reason: 'Internal server error' }]);
    expect(recorded.errors).toEqual([new Error('rule failed')]);
  });

  it('on close: ends every stream, then tells the rules disconnected and closed, once; sends nothing more', async () => {
    const controlled = controlledStream();
    const { session, recorded, frame, settle } = await acknowledged({ subscribe: async () => controlled.stream });
    frame({ type: 'subscribe', id: 's', payload: { query: 'subscription { tick }' } });
    await settle();
    session.closed(1000, 'bye');
    session.closed(1000, 'bye');
    await settle();
    expect(controlled.state.returned).toBe(true);
    expect(recorded.told).toEqual(['disconnected conn(raw) 1000', 'closed conn(raw)']);
    expect(recorded.sent).toEqual([]);
  });

  it('a socket that closes before connection_init tells the rules closed without a connection', async () => {
    const { session, recorded, settle } = open();
    session.closed(1001, '');
    await settle();
    expect(recorded.told).toEqual(['closed none']);
  });

  it('a socket that closes while the rules connect it is released with its real close code, and never acknowledged', async () => {
    let admit!: () => void;
    const { session, recorded, frame, settle } = open({
      connect: async () => {
        await new Promise<void>((resolve) => (admit = resolve));
        return { connection: 'c', ready: Promise.resolve() };
      },
    });
    frame({ type: 'connection_init' });
    await settle();
    session.closed(1006, '');
    await settle();
    admit();
    await settle();
    expect(recorded.told).toEqual(['closed none', 'disconnected c 1006', 'closed c']);
    // Ended by the close, once; no acknowledgement.
    expect(recorded.handshakes).toBe(1);
    expect(recorded.sent).toEqual([]);
  });

  it('a socket that closes while its acknowledgement waits is released once, and never acknowledged', async () => {
    let ready!: () => void;
    const { session, recorded, frame, settle } = open({ connect: async () => ({ connection: 'c', ready: new Promise<void>((resolve) => (ready = resolve)) }) });
    frame({ type: 'connection_init' });
    await settle();
    session.closed(1001, 'away');
    await settle();
    ready();
    await settle();
    expect(recorded.told).toEqual(['disconnected c 1001', 'closed c']);
    expect(recorded.handshakes).toBe(1);
    expect(recorded.sent).toEqual([]);
  });
});
