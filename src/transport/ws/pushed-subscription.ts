import { getArgumentValues, getVariableValues, locatedError, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Message } from '../../domain/message.ts';
import type { MessageStream, StreamSink } from '../../engine/message-stream.ts';
import type { GraphQLContext } from '../../graphql/context.ts';
import type { OperationWatcher, PushedStream } from './operation.ts';
import { subscribeToMessages } from '../../graphql/resolvers.ts';
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
  readonly backlog: { check(): void };
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
  const { id, socket, backlog, highWaterBytes } = options;
  // Only what frames need: the stream holds what the subscription holds, not the request's context;
  // an operation without variables shares one empty set of them.
  const kept = (plan.operation.variableDefinitions?.length ?? 0) === 0 ? NO_VARIABLES : coerced;
  return new PushedOperation(stream, { plan, id, socket, backlog, highWaterBytes, mask, variables: kept });
}

/** Resolves once `socket` holds at most `bytes` unsent bytes, or is no longer open. */
async function drained(socket: PushSocket, bytes: number): Promise<void> {
  while (socket.readyState === OPEN && socket.bufferedAmount > bytes) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
}

const NO_VARIABLES: Record<string, unknown> = Object.freeze({});

/** What a pushed operation writes with: the options of {@link subscribePushed}, variables coerced. */
type FrameOptions = Pick<PushedSubscriptionOptions, 'plan' | 'socket' | 'backlog' | 'highWaterBytes' | 'mask'> & {
  readonly id: string;
  readonly variables: Record<string, unknown>;
};

/**
 * A pushed subscription: the sink its stream writes frames through, and the operation the protocol
 * server holds for it (`PushedStream`). The server keeps owning the operation — its id, `complete` in
 * both directions, the end of the socket (`return`) — while the frames bypass it, and is told when the
 * stream is over. One object per subscription, with methods rather than closures or promises: it lives
 * as long as the subscription.
 */
export class PushedOperation implements PushedStream, StreamSink {
  readonly #stream: MessageStream;
  readonly #options: FrameOptions;
  /** `{"id":…,"type":"next","payload":`: the frame graphql-ws would write, spliced around each payload. */
  readonly #prefix: string;
  #watcher: OperationWatcher | undefined;

  constructor(stream: MessageStream, options: FrameOptions) {
    this.#stream = stream;
    this.#options = options;
    this.#prefix = `{"id":${JSON.stringify(options.id)},"type":"next","payload":`;
  }

  /** The protocol server registered the operation: the stream starts pushing. */
  start(watcher: OperationWatcher): void {
    this.#watcher = watcher;
    this.#stream.drive(this);
  }

  /** Writes one event's frame (the stream's sink); asks the catch-up to wait while the socket's buffer is full. */
  next(event: Message | Error): Promise<void> | undefined {
    const { socket, plan, variables, mask, highWaterBytes } = this.#options;
    this.#options.backlog.check();
    if (socket.readyState !== OPEN) return undefined;
    // Events run without a context: the selection's resolvers are graphql's defaults (EventPlan) and
    // messageReceived's own reads only the event.
    socket.send(`${this.#prefix}${plan.payload(event, undefined, variables, mask)}}`);
    return socket.bufferedAmount > highWaterBytes ? drained(socket, highWaterBytes / 2) : undefined;
  }

  ended(): void {
    this.#watcher?.ended();
  }

  failed(error: unknown): void {
    this.#watcher?.failed(error);
  }

  return(): void {
    this.#stream.end();
  }
}
