import { DateTimeResolver } from 'graphql-scalars';
import { BusUnavailableError } from '../bus/bus.ts';
import { byteLength, type Message } from '../domain/message.ts';
import { userIdProblem } from '../domain/user-id.ts';
import { clientError } from '../errors.ts';
import type { GraphQLContext } from './context.ts';
import type { Resolvers } from './resolvers.generated.ts';

/** The authenticated user's id. @throws UNAUTHENTICATED */
function requireUser(context: GraphQLContext): string {
  if (context.viewer !== undefined) return context.viewer.userId;
  throw clientError('UNAUTHENTICATED', context.authProblem ?? 'Not authenticated: send a bearer token');
}

export const resolvers: Resolvers = {
  DateTime: DateTimeResolver,
  Query: {
    me: (_parent, _args, context) => requireUser(context),
    nodeId: (_parent, _args, context) => context.services.nodeId,
  },
  Mutation: {
    async sendMessage(_parent, { toUserId, body }, context) {
      const fromUserId = requireUser(context);
      const { services } = context;
      const toProblem = userIdProblem(toUserId);
      if (toProblem !== undefined) {
        throw clientError('BAD_USER_INPUT', `Cannot send message: 'toUserId' is invalid: ${toProblem}`);
      }
      if (body.length === 0) throw clientError('BAD_USER_INPUT', "Cannot send message: 'body' is empty");
      const bytes = byteLength(body);
      if (bytes > services.maxMessageBytes) {
        throw clientError(
          'BAD_USER_INPUT',
          `Cannot send message: 'body' is longer than ${services.maxMessageBytes} bytes: current length ${bytes}`,
          { maxBytes: services.maxMessageBytes },
        );
      }
      const message: Message = {
        id: services.newId(),
        fromUserId,
        toUserId,
        body,
        sentAt: new Date(services.now()).toISOString(),
      };
      try {
        await services.bus.publish(message);
      } catch (error) {
        if (error instanceof BusUnavailableError) {
          throw clientError('UNAVAILABLE', 'Cannot send message: the message bus is unavailable; retry later');
        }
        throw error;
      }
      return message;
    },
  },
  Subscription: {
    messageReceived: {
      async subscribe(_parent, _args, context) {
        const userId = requireUser(context);
        try {
          return await context.services.hub.subscribe(userId);
        } catch (error) {
          if (error instanceof BusUnavailableError) {
            throw clientError('UNAVAILABLE', 'Cannot subscribe: the message bus is unavailable; retry later');
          }
          throw error;
        }
      },
      resolve: (message: Message) => message,
    },
  },
};
