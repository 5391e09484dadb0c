import { DateTimeResolver } from 'graphql-scalars';
import type { IResolvers, MercuriusContext } from 'mercurius';
import type { WireMessage } from '../lib/contract.ts';

/** Resolver context: mercurius's own, plus the verified user (HTTP header or connection_init). */
export interface BenchContext extends MercuriusContext {
  readonly userId?: string | undefined;
}

/**
 * The topic of one recipient. mqemitter-redis maps it to a Redis channel of the same name, so each
 * node subscribes to the channels of its own connected users only. mqemitter reads `+` and `#` as
 * wildcards and `/` as its level separator; the bench's user ids (`u<i>`) contain none of them.
 */
const recipientTopic = (userId: string): string => `inbox.${userId}`;

interface Payload {
  readonly messageReceived: WireMessage;
}

function requireUser(context: BenchContext): string {
  if (context.userId === undefined) throw new Error('Cannot run the operation: not authenticated: current authorization missing or invalid');
  return context.userId;
}

/**
 * sendMessage publishes to the recipient's topic and answers once Redis took it; messageReceived
 * subscribes the connection's own user to its topic. The pubsub over HTTP is mercurius's `PubSub`
 * (callback-style `publish`), in a subscription its per-subscription `SubscriptionContext`.
 */
export const resolvers: IResolvers<unknown, BenchContext> = {
  DateTime: DateTimeResolver,
  Query: {
    me: (_root, _args, context) => requireUser(context),
  },
  Mutation: {
    async sendMessage(_root, args: { toUserId: string; body: string }, context) {
      const message: WireMessage = {
        id: crypto.randomUUID(),
        fromUserId: requireUser(context),
        toUserId: args.toUserId,
        body: args.body,
        sentAt: new Date().toISOString(),
      };
      const event: { topic: string; payload: Payload } = { topic: recipientTopic(args.toUserId), payload: { messageReceived: message } };
      // Over HTTP mercurius hands its PubSub (publish(event, callback)), not the typed SubscriptionContext.
      const pubsub = context.pubsub as unknown as { publish(event: unknown, done: (error?: unknown) => void): void };
      await new Promise<void>((resolve, reject) => pubsub.publish(event, (error) => (error === undefined || error === null ? resolve() : reject(error))));
      return message;
    },
  },
  Subscription: {
    messageReceived: {
      subscribe: (_root: unknown, _args: unknown, context: BenchContext) => context.pubsub.subscribe<Payload>(recipientTopic(requireUser(context))),
    },
  },
};
