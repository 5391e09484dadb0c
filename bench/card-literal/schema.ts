import type { RedisPubSub } from 'graphql-redis-subscriptions';
import { DateTimeResolver } from 'graphql-scalars';
import { withFilter } from 'graphql-subscriptions';
import { createSchema } from 'graphql-yoga';
import { CONTRACT_SDL, type WireMessage } from '../lib/contract.ts';

/** The one topic every message goes through: every node receives all of them. */
const MESSAGE_RECEIVED = 'MESSAGE_RECEIVED';

/** Resolver context: the verified user, from the socket's connectionParams or the HTTP header. */
export interface CardContext {
  readonly userId: string | undefined;
}

interface Payload {
  readonly messageReceived: WireMessage;
}

function requireUser(context: CardContext): string {
  if (context.userId === undefined) throw new Error('Not authenticated');
  return context.userId;
}

/**
 * The design card's schema exactly as the graphql-redis-subscriptions README shows it: publish to
 * one topic, and `withFilter` on the subscription so each subscriber sees only its own messages.
 */
export function createCardSchema(pubsub: RedisPubSub) {
  return createSchema<CardContext>({
    typeDefs: CONTRACT_SDL,
    resolvers: {
      DateTime: DateTimeResolver,
      Query: { me: (_parent: unknown, _args: unknown, context: CardContext) => requireUser(context) },
      Mutation: {
        async sendMessage(_parent: unknown, args: { toUserId: string; body: string }, context: CardContext) {
          const message: WireMessage = {
            id: crypto.randomUUID(),
            fromUserId: requireUser(context),
            toUserId: args.toUserId,
            body: args.body,
            sentAt: new Date().toISOString(),
          };
          await pubsub.publish<Payload>(MESSAGE_RECEIVED, { messageReceived: message });
          return message;
        },
      },
      Subscription: {
        messageReceived: {
          subscribe: withFilter(
            () => pubsub.asyncIterator<Payload>(MESSAGE_RECEIVED),
            (payload: Payload | undefined, _args: unknown, context: CardContext | undefined) =>
              payload?.messageReceived.toUserId === context?.userId,
          ),
        },
      },
    },
  });
}
