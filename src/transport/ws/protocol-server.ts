import { GraphQLError, type ExecutionResult } from 'graphql';
import { CloseCode as ProtocolCode, GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws';
import { SmallMap } from '../../util/small-map.ts';
import { parseClientMessage, type ClientMessage, type SubscribePayload } from './client-message.ts';
import { isErrors, isPushed, isStream, Operation, type OperationOwner, type Outcome } from './operation.ts';

/**
 * The server side of the graphql-transport-ws protocol (graphql-ws's PROTOCOL.md), for one node,
 * independent of the socket library: `runtime/node/graphql-ws.ts` feeds it ws sockets,
 * `runtime/deno/graphql-ws.ts` Deno's. It enforces every rule graphql-ws's own `makeServer` enforces,
 * with the same close codes and reasons, and leaves everything else to {@link SocketRules}: who may
 * connect, what an operation runs to, what a frame costs, what a close releases.
 *
 * | message or event | rule |
 * | --- | --- |
 * | socket opens without the `graphql-transport-ws` subprotocol | close 4406 |
 * | no `connection_init` within `initTimeoutMs` | close 4408 |
 * | a frame that is not JSON, not a message, of an unknown type, or of a type only a server sends | close 4400 |
 * | a second `connection_init` | close 4429 |
 * | `connection_init` the rules refuse | close 4403 (unless the rules closed the socket themselves) |
 * | `subscribe` before `connection_ack` | close 4401 |
 * | `subscribe` with the id of an operation in flight | close 4409 |
 * | `ping` | `pong`, with the ping's payload |
 * | a rule throws | close 4500, reported once |
 *
 * Per socket it keeps one session of fields and, per operation, one `Operation` (operation.ts) — for a
 * generic stream also the callbacks of the step it waits for; docs/ARCHITECTURE.md says what
 * graphql-ws's server kept instead.
 */

/** The socket a session talks through: the runtime's, seen through its binding. */
export interface ProtocolSocket {
  /** The subprotocol the handshake chose, `''` when none. */
  readonly protocol: string;
  send(data: string): void;
  close(code: number, reason: string): void;
  /**
   * The handshake is over: `connection_ack` was sent, or the socket closed before it (admission
   * control counts handshakes in flight). Once per session.
   */
  handshakeEnded(): void;
}

/** The service's part of every socket: identity, limits, operations, release. `C` is what a connected socket carries. */
export interface SocketRules<R, C> {
  /** How long a socket may stay open without sending `connection_init`. */
  readonly initTimeoutMs: number;
  /**
   * `connection_init`: the connection, and a promise the acknowledgement waits for; or `undefined` to
   * refuse it (4403, unless the rules closed the socket themselves with a code of their own).
   */
  connect(raw: R, params: Record<string, unknown> | undefined): Promise<{ readonly connection: C; readonly ready: Promise<unknown> } | undefined>;
  /** `subscribe`: runs the operation. `inFlight` counts the socket's operations, this one included. */
  subscribe(connection: C, id: string, payload: SubscribePayload, inFlight: number): Promise<Outcome>;
  /** Before each `next` frame this server writes (the slow-consumer rule; it may close the socket). */
  beforeNext(connection: C): void;
  /** A socket whose `connect` returned a connection has closed, its operations ended. */
  disconnected(connection: C, code: number, reason: string): void;
  /** A socket handled by `connect` before it was refused or closed, or its connection. */
  closed(connection: C | undefined): void;
  /** A rule threw: the socket closes with 4500. */
  internalError(error: unknown): void;
}

/** One node's protocol server: opens a session per socket. */
export interface GraphqlWsProtocol<R> {
  open(socket: ProtocolSocket, raw: R): ProtocolSession;
}

/** What a binding tells a socket's session. */
export interface ProtocolSession {
  /** A text frame arrived (the binding has refused binary and oversized ones). */
  receive(data: string): void;
  /** The socket closed. */
  closed(code: number, reason: string): void;
}

/** The protocol server for `rules`. */
export function createProtocol<R, C>(rules: SocketRules<R, C>): GraphqlWsProtocol<R> {
  return { open: (socket, raw) => new Session(rules, socket, raw) };
}

/** The close reason with 4500, on every runtime (graphql-ws's own). */
export const INTERNAL_ERROR_REASON = 'Internal server error';
const ACK = '{"type":"connection_ack"}';

class Session<R, C> implements ProtocolSession, OperationOwner {
  readonly #rules: SocketRules<R, C>;
  readonly #socket: ProtocolSocket;
  /** The runtime's socket, until `connection_init` hands it to the rules. */
  #raw: R | undefined;
  /** False when the socket has not the protocol: its frames are not read. */
  readonly #accepted: boolean;
  #initTimer: ReturnType<typeof setTimeout> | undefined;
  #initReceived = false;
  #acknowledged = false;
  /** Set when the socket has closed. */
  #closedWith: { readonly code: number; readonly reason: string } | undefined;
  #connection: C | undefined;
  /** Operations by id; a `SmallMap`, as a socket mostly runs one (a `Map` alone is about 190 bytes). */
  readonly #operations = new SmallMap<string, Operation>();

  constructor(rules: SocketRules<R, C>, socket: ProtocolSocket, raw: R) {
    this.#rules = rules;
    this.#socket = socket;
    this.#accepted = socket.protocol === GRAPHQL_TRANSPORT_WS_PROTOCOL;
    if (!this.#accepted) {
      socket.close(ProtocolCode.SubprotocolNotAcceptable, 'Subprotocol not acceptable');
      return;
    }
    this.#raw = raw;
    const timeout = rules.initTimeoutMs;
    if (timeout > 0 && Number.isFinite(timeout)) {
      this.#initTimer = setTimeout(() => {
        if (!this.#initReceived) socket.close(ProtocolCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
      }, timeout);
    }
  }

  receive(data: string): void {
    if (!this.#accepted) return;
    this.#handle(data).catch((error: unknown) => this.#fail(error));
  }

  closed(code: number, reason: string): void {
    if (this.#closedWith !== undefined) return;
    this.#closedWith = { code, reason };
    clearTimeout(this.#initTimer);
    // Closed before the acknowledgement, which will not come now (#init checks #closedWith).
    if (!this.#acknowledged) this.#socket.handshakeEnded();
    const streams = [...this.#operations.values()];
    this.#operations.clear();
    Promise.all(streams.map(({ stream }) => stream?.return?.()))
      .then(() => {
        const connection = this.#connection;
        if (connection !== undefined) this.#rules.disconnected(connection, code, reason);
        this.#rules.closed(connection);
      })
      .catch((error: unknown) => this.#rules.internalError(error));
  }

  async #handle(data: string): Promise<void> {
    let message: ClientMessage;
    try {
      message = parseClientMessage(data);
    } catch {
      return this.#socket.close(ProtocolCode.BadRequest, 'Invalid message received');
    }
    switch (message.type) {
      case 'connection_init':
        return this.#init(message.payload);
      case 'ping':
        return this.#send(message.payload ? JSON.stringify({ type: 'pong', payload: message.payload }) : '{"type":"pong"}');
      case 'pong':
        return;
      case 'subscribe':
        return this.#subscribe(message.id, message.payload);
      case 'complete': {
        const operation = this.#operations.get(message.id);
        this.#operations.delete(message.id);
        await operation?.stream?.return?.();
        return;
      }
    }
  }

  async #init(payload: Record<string, unknown> | null | undefined): Promise<void> {
    if (this.#initReceived) return this.#socket.close(ProtocolCode.TooManyInitialisationRequests, 'Too many initialisation requests');
    this.#initReceived = true;
    clearTimeout(this.#initTimer);
    this.#initTimer = undefined;
    const raw = this.#raw as R;
    // The socket is the rules' from now on; the session keeps the connection only.
    this.#raw = undefined;
    const admitted = await this.#rules.connect(raw, payload ?? undefined);
    if (admitted === undefined) return this.#socket.close(ProtocolCode.Forbidden, 'Forbidden');
    this.#connection = admitted.connection;
    // Closed while the rules connected it: `closed` ran without the connection.
    const closedWith = this.#closedWith;
    if (closedWith !== undefined) {
      this.#rules.disconnected(admitted.connection, closedWith.code, closedWith.reason);
      this.#rules.closed(admitted.connection);
      return;
    }
    await admitted.ready;
    if (this.#closedWith !== undefined) return;
    this.#acknowledged = true;
    this.#socket.send(ACK);
    this.#socket.handshakeEnded();
  }

  async #subscribe(id: string, payload: SubscribePayload): Promise<void> {
    const connection = this.#connection;
    if (!this.#acknowledged || connection === undefined) return this.#socket.close(ProtocolCode.Unauthorized, 'Unauthorized');
    const operations = this.#operations;
    if (operations.has(id)) return this.#socket.close(ProtocolCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
    // Its own entry: a `complete` removes it, and a new operation may take the id while this one ends.
    const operation = new Operation(id, this);
    operations.set(id, operation);
    let outcome: Outcome;
    try {
      outcome = await this.#rules.subscribe(connection, id, payload, operations.size);
    } catch (error) {
      this.#settle(operation);
      throw error;
    }
    if (isErrors(outcome)) {
      if (this.#current(operation)) this.#send(JSON.stringify({ id, type: 'error', payload: outcome.map((error) => error.toJSON()) }));
      return this.#settle(operation);
    }
    if (isPushed(outcome)) {
      // Completed by the client (or the socket closed) while the operation started.
      if (!this.#current(operation)) return outcome.return();
      operation.stream = outcome;
      return outcome.start(operation);
    }
    if (!isStream(outcome)) {
      if (this.#current(operation)) {
        this.#next(connection, id, outcome);
        this.#send(JSON.stringify({ id, type: 'complete' }));
      }
      return this.#settle(operation);
    }
    const stream = outcome[Symbol.asyncIterator]();
    if (!this.#current(operation)) return void (await stream.return?.());
    operation.stream = stream;
    this.#follow(connection, operation, stream);
  }

  /** The operation ended by itself: `complete`, unless the client completed it or the socket closed. */
  operationEnded(operation: Operation): void {
    try {
      if (this.#current(operation)) this.#send(JSON.stringify({ id: operation.id, type: 'complete' }));
      this.#settle(operation);
    } catch (error) {
      this.#fail(error);
    }
  }

  /** The operation's stream (or writing one of its results) threw: `error`, unless it is over already. */
  operationFailed(operation: Operation, error: unknown): void {
    try {
      const original = error instanceof Error ? error : new Error(String(error));
      if (this.#current(operation)) {
        this.#send(JSON.stringify({ id: operation.id, type: 'error', payload: [new GraphQLError(original.message, { originalError: original }).toJSON()] }));
      }
      this.#settle(operation);
    } catch (failure) {
      this.#fail(failure);
    }
  }

  /**
   * Writes a stream's results as they come, then `complete`; `error` when the stream (or writing a
   * result) throws. A chain of callbacks rather than a loop in an async function, so that nothing
   * stays suspended per operation while it waits.
   */
  #follow(connection: C, operation: Operation, stream: AsyncIterator<ExecutionResult>): void {
    const received = (step: IteratorResult<ExecutionResult>) => {
      if (step.done === true) return this.operationEnded(operation);
      try {
        this.#next(connection, operation.id, step.value);
      } catch (error) {
        return this.operationFailed(operation, error);
      }
      this.#follow(connection, operation, stream);
    };
    // A `next` that throws closes with 4500, as any rule that throws does.
    stream
      .next()
      .then(received, (error: unknown) => this.operationFailed(operation, error))
      .catch((error: unknown) => this.#fail(error));
  }

  /** The operation is over: its id is free again, unless a new operation has taken it. */
  #settle(operation: Operation): void {
    if (this.#current(operation)) this.#operations.delete(operation.id);
  }

  /** Whether `operation` still holds its id (no `complete` removed it, no new operation took the id). */
  #current(operation: Operation): boolean {
    return this.#operations.get(operation.id) === operation;
  }

  #next(connection: C, id: string, result: ExecutionResult): void {
    this.#rules.beforeNext(connection);
    const { errors, ...rest } = result;
    const payload = errors === undefined ? rest : { ...rest, errors: errors.map((error) => error.toJSON()) };
    this.#send(JSON.stringify({ id, type: 'next', payload }));
  }

  #send(data: string): void {
    if (this.#closedWith === undefined) this.#socket.send(data);
  }

  #fail(error: unknown): void {
    this.#rules.internalError(error);
    this.#socket.close(ProtocolCode.InternalServerError, INTERNAL_ERROR_REASON);
  }
}
