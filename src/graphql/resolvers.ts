import { DateTimeResolver } from 'graphql-scalars';
import { BusUnavailableError, CursorExpiredError, SendRateRefusedError } from '../bus/bus.ts';
import type { Message } from '../domain/message.ts';
import type { MessageStream } from '../engine/message-stream.ts';
import type { TraceScope } from '../tracing/tracing.ts';
import { clientError } from './errors.ts';
import type { GraphQLContext } from './context.ts';
import { checkSendArguments, cursorArgument, pageSizeArgument } from './inputs.ts';
import { presenceQueries, presenceSubscriptions } from './presence-resolvers.ts';
import type { MutationSendMessageArgs, Resolvers } from './resolvers.generated.ts';
import { requireUser } from './viewer.ts';

/** Maps the bus's expected failures to client errors; anything else stays unexpected (masked). */
function busError(what: string, error: unknown): unknown {
  if (error instanceof BusUnavailableError) {
    return clientError('UNAVAILABLE', `${what}: the message bus is unavailable; retry later`);
  }
  if (error instanceof CursorExpiredError) {
    return clientError(
      'CURSOR_EXPIRED',
      `${what}: messages after the cursor were dropped by retention; refetch without 'after'`,
    );
  }
  return error;
}

/**
 * Opens the caller's `messageReceived` stream: retained messages after `after`, then live. The
 * subscription's one entry point, for the resolver (SSE, generic graphql-ws) and for the push path
 * of graphql-ws (`transport/pushed-subscription.ts`).
 * @throws UNAUTHENTICATED, BAD_USER_INPUT (a malformed cursor), CURSOR_EXPIRED, UNAVAILABLE
 */
export async function subscribeToMessages(context: GraphQLContext, after: string | null | undefined): Promise<MessageStream> {
  const userId = requireUser(context);
  const cursor = cursorArgument('Cannot subscribe', after);
  try {
    return await context.services.hub.subscribe(userId, cursor, { backlog: context.backlog });
  } catch (error) {
    throw busError('Cannot subscribe', error);
  }
}

/** `sendMessage`: as the sender, within the rate limit, acknowledged by the bus. @throws UNAUTHENTICATED, BAD_USER_INPUT, RATE_LIMITED, UNAVAILABLE */
async function sendMessage(args: MutationSendMessageArgs, context: GraphQLContext, scope?: TraceScope): Promise<Message> {
  const fromUserId = requireUser(context);
  const { services } = context;
  checkSendArguments(args, services.maxMessageBytes);
  // Where the bus takes the sender's token in its send (Redis on one server), this limiter lets
  // every send through and the bus refuses instead: one round trip, the same answer.
  const retryAfterMs = await services.sendRate.take(fromUserId);
  if (retryAfterMs !== undefined) throw rateLimited(retryAfterMs);
  const draft = { fromUserId, toUserId: args.toUserId, body: args.body, sentAt: new Date(services.now()).toISOString() };
  const key = args.clientMessageId ?? undefined;
  try {
    const { tracing } = services;
    if (!tracing.enabled) return await services.bus.send(draft, key);
    // The Redis script's span; its traceparent travels in the message only when it is sampled.
    return await tracing.client(
      scope,
      'switchboard redis send',
      { 'db.system': 'redis', 'db.operation': 'EVALSHA' },
      (carry) => services.bus.send(carry === undefined ? draft : { ...draft, traceparent: carry }, key),
      (message) => ({ 'messaging.message.id': message.id }),
    );
  } catch (error) {
    throw error instanceof SendRateRefusedError ? rateLimited(error.retryAfterMs) : busError('Cannot send message', error);
  }
}

const rateLimited = (retryAfterMs: number) =>
  clientError('RATE_LIMITED', `Cannot send message: the sender is over the send rate limit; retry in ${retryAfterMs} ms`, { retryAfterMs });

export const resolvers: Resolvers = {
  DateTime: DateTimeResolver,
  Query: {
    me: (_parent, _args, context) => requireUser(context),
    nodeId: (_parent, _args, context) => context.services.nodeId,
    ...presenceQueries,
    async messages(_parent, args, context) {
      const userId = requireUser(context);
      const after = cursorArgument('Cannot read messages', args.after);
      const first = pageSizeArgument(args.first);
      try {
        return await context.services.bus.read(userId, after, first);
      } catch (error) {
        throw busError('Cannot read messages', error);
      }
    },
  },
  Mutation: {
    // Timed and counted by outcome (the error's code) in one place: observability/send-metrics.ts.
    // With tracing on, one SERVER span for the whole mutation, continuing the caller's trace.
    sendMessage: (_parent, args, context) =>
      context.services.metrics.sends.time(() =>
        context.services.tracing.enabled
          ? context.services.tracing.server('switchboard sendMessage', context.traceparent, { 'graphql.operation.type': 'mutation', 'messaging.operation.type': 'send' }, (scope) =>
              sendMessage(args, context, scope),
            )
          : sendMessage(args, context),
      ),
  },
  Subscription: {
    ...presenceSubscriptions,
    messageReceived: {
      subscribe: (_parent, args, context) => subscribeToMessages(context, args.after),
      // The stream yields an Error when a later history read fails: throwing it here sends it to the
      // client as this event's error; the stream then ends, so the subscription completes. (Delivery
      // metrics are counted by the hub's streams, once per message a consumer gets.)
      resolve: (event: Message | Error) => {
        if (event instanceof Error) throw busError('Subscription ended', event);
        return event;
      },
    },
  },
};
