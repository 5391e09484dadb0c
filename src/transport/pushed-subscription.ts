import { getArgumentValues, getVariableValues, locatedError, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { MessageStream, StreamSink } from '../engine/message-stream.ts';
import type { GraphQLContext } from '../graphql/context.ts';
import { subscribeToMessages } from '../graphql/resolvers.ts';
import type { EventPlan, MaskError } from './event-plan.ts';

/** `WebSocket.OPEN`, the same on ws and on web WebSockets. */
const OPEN = 1;
/** How often a catch-up waiting for a full socket buffer looks again. */
const DRAIN_POLL_MS = 5;

/** The socket a pushed subscription writes its frames to. */
export interface PushSocket {
  readonly readyState: number;
  /** Bytes handed to the socket and not yet written to the network. */
  readonly bufferedAmount: number;
  send(data: string): void;
}

export interface PushedSubscriptionOptions {
  readonly schema: GraphQLSchema;
  readonly plan: EventPlan;
  /** The graphql-ws operation id. */
  readonly id: string;
  readonly context: GraphQLContext;
  readonly variables: Record<string, unknown> | null | undefined;
  readonly socket: PushSocket;
  /** The connection's slow-consumer rule, checked before every frame (it may close the socket). */
  readonly checkBacklog: () => void;
  /** Catch-up waits while the socket holds more unsent bytes than this. */
  readonly highWaterBytes: number;
  readonly mask: MaskError;
}

/**
 * Starts a `messageReceived` subscription whose frames go straight from its stream to the socket
 * (docs/ARCHITECTURE.md, "The push path"). The subscribe step is graphql-js's for a subscription —
 * variables coerced, the root field's arguments read, the field's errors located at it — and opens
 * the stream through the resolver's own entry point, {@link subscribeToMessages}, so identity, the
 * cursor checks and the error codes are the resolver's. Returns the errors as a result, as graphql's
 * `subscribe` does, or the operation for graphql-ws to hold.
 */
export async function subscribePushed(options: PushedSubscriptionOptions): Promise<PushedOperation | ExecutionResult> {
  const { plan, mask } = options;
  const variables = getVariableValues(options.schema, plan.operation.variableDefinitions ?? [], options.variables ?? {}, { maxErrors: 50 });
  if (variables.errors !== undefined) return { errors: variables.errors };
  const coerced = variables.coerced;
  let stream: MessageStream;
  try {
    const args = getArgumentValues(plan.fieldDefinition, plan.field, coerced);
    stream = await subscribeToMessages(options.context, args['after'] as string | null | undefined);
  } catch (error) {
    const located = locatedError(error, [plan.field], [plan.responseKey]);
    return { errors: [mask(located)] };
  }
  const { socket, context, id, highWaterBytes } = options;
  // `{"id":…,"type":"next","payload":<payload>}`: the frame graphql-ws would write, spliced around
  // the payload the plan serialized once.
  const prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  const sink: StreamSink = (event) => {
    options.checkBacklog();
    if (socket.readyState !== OPEN) return undefined;
    socket.send(`${prefix}${plan.payload(event, context, coerced, mask)}}`);
    return socket.bufferedAmount > highWaterBytes ? drained(socket, highWaterBytes / 2) : undefined;
  };
  return new PushedOperation(stream, sink);
}

/** Resolves once `socket` holds at most `bytes` unsent bytes, or is no longer open. */
async function drained(socket: PushSocket, bytes: number): Promise<void> {
  while (socket.readyState === OPEN && socket.bufferedAmount > bytes) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * What graphql-ws holds for a pushed subscription: an async iterator that yields nothing and finishes
 * when the stream ends. graphql-ws keeps owning the operation — its id, `complete` in both directions,
 * the end of the socket (`return`) — while the frames bypass it. The stream starts pushing on the
 * first `next()`, which graphql-ws calls once it has registered the operation.
 */
export class PushedOperation implements AsyncIterableIterator<never, undefined> {
  readonly #stream: MessageStream;
  readonly #sink: StreamSink;
  #ended: Promise<IteratorReturnResult<undefined>> | undefined;

  constructor(stream: MessageStream, sink: StreamSink) {
    this.#stream = stream;
    this.#sink = sink;
  }

  next(): Promise<IteratorReturnResult<undefined>> {
    this.#ended ??= this.#stream.drive(this.#sink).then(() => DONE);
    return this.#ended;
  }

  return(): Promise<IteratorReturnResult<undefined>> {
    this.#stream.end();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
