import { clientError } from './errors.ts';
import { PresenceDisabledError, PresenceUnavailableError, type PresenceEvent } from '../presence/presence.ts';
import type { GraphQLContext } from './context.ts';
import { MAX_IS_ONLINE_IDS, MAX_WATCHED_USERS, presenceUserIds } from './presence-inputs.ts';
import type { QueryResolvers, SubscriptionResolvers } from './resolvers.generated.ts';
import { requireUser, requireViewer } from './viewer.ts';

/** Maps presence's expected failures to client errors; anything else stays unexpected (masked). */
function presenceError(what: string, error: unknown): unknown {
  if (error instanceof PresenceDisabledError) {
    return clientError('UNAVAILABLE', `${what}: presence is switched off on this node: PRESENCE=off`);
  }
  if (error instanceof PresenceUnavailableError) return clientError('UNAVAILABLE', `${what}: presence could not be read; retry later`);
  return error;
}

/** Checks the caller may see the presence of `userIds` (the policy hook). @throws UNAUTHENTICATED, FORBIDDEN */
async function authorize(what: string, context: GraphQLContext, userIds: readonly string[]): Promise<void> {
  const viewer = requireViewer(context);
  if (!(await context.services.presencePolicy(viewer, userIds))) {
    throw clientError('FORBIDDEN', `${what}: the presence policy does not let '${viewer.userId}' see these users`);
  }
}

export const presenceQueries: Required<Pick<QueryResolvers<GraphQLContext>, 'onlineCount' | 'isOnline'>> = {
  async onlineCount(_parent, _args, context) {
    requireUser(context);
    try {
      return await context.services.presence.onlineCount();
    } catch (error) {
      throw presenceError('Cannot count online users', error);
    }
  },
  async isOnline(_parent, args, context) {
    const what = 'Cannot read presence';
    requireUser(context);
    const userIds = presenceUserIds(what, args.userIds, 0, MAX_IS_ONLINE_IDS);
    await authorize(what, context, userIds);
    try {
      return await context.services.presence.isOnline(userIds);
    } catch (error) {
      throw presenceError(what, error);
    }
  },
};

export const presenceSubscriptions: Required<Pick<SubscriptionResolvers<GraphQLContext>, 'presenceChanged'>> = {
  presenceChanged: {
    async subscribe(_parent, args, context) {
      const what = 'Cannot watch presence';
      requireUser(context);
      // Duplicates are watched once.
      const userIds = [...new Set(presenceUserIds(what, args.userIds, 1, MAX_WATCHED_USERS))];
      await authorize(what, context, userIds);
      try {
        return await context.services.presence.watch(userIds);
      } catch (error) {
        throw presenceError(what, error);
      }
    },
    resolve: (event: PresenceEvent) => ({ userId: event.userId, online: event.online, at: new Date(event.at).toISOString() }),
  },
};
