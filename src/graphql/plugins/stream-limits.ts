import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { clientError } from '../errors.ts';
import type { GraphQLContext } from '../context.ts';
import type { ConnectionLimits } from '../../limits/connection-limits.ts';
import type { LocalSession, LocalSessions } from '../../cluster/local-sessions.ts';
import { Backlog } from '../../engine/backlog.ts';
import type { ConnectionMetrics } from '../../observability/connection-metrics.ts';

/**
 * The connection limits for subscriptions over HTTP (SSE, multipart): each such subscription is a
 * connection of its own, so it counts against MAX_CONNECTIONS (refused with `UNAVAILABLE`: try
 * another node) and against its user's MAX_CONNECTIONS_PER_USER (refused with `LIMIT_EXCEEDED`), as
 * a graphql-ws socket does. graphql-ws subscriptions are counted by their socket instead, in
 * `transport/graphql-ws.ts`. Unauthenticated subscriptions are not counted: the resolver refuses them.
 */
/** Accept values under which yoga streams a subscription (SSE, multipart). */
const STREAMING_ACCEPT = /text\/event-stream|multipart\/mixed|multipart\/\*|text\/\*|\*\/\*/u;

/** How an SSE stream an administrator disconnects ends (the client must not resume it with this token). */
const DISCONNECTED = 'Subscription ended: disconnected by an administrator';

export function useStreamLimits(limits: ConnectionLimits, metrics: Pick<ConnectionMetrics, 'refused' | 'streamsOpen'>, sessions: LocalSessions): Plugin {
  return {
    async onSubscribe({ args, setResultAndStopExecution }) {
      const context = args.contextValue as unknown as GraphQLContext & { socketViewer?: unknown; request?: Request };
      if (context.socketViewer !== undefined) return;
      // yoga answers a subscription it cannot stream in the accepted media type with 406, after it
      // has started it — and never ends it: each such request left a live stream behind (found by
      // the fuzzer). Refuse it before it starts.
      const accept = context.request?.headers.get('accept') ?? '';
      if (accept !== '' && !STREAMING_ACCEPT.test(accept)) {
        setResultAndStopExecution({
          errors: [
            clientError('BAD_REQUEST', 'Cannot subscribe: a subscription over HTTP needs Accept: text/event-stream or multipart/mixed', {
              http: { status: 406 },
            }),
          ],
        });
        return;
      }
      if (context.viewer === undefined) return;
      if (!limits.hasRoom()) {
        metrics.refused('max_connections');
        setResultAndStopExecution({
          errors: [
            clientError('UNAVAILABLE', `Cannot subscribe: this node holds its maximum of ${limits.maxConnections} connections; retry on another node`, {
              limit: 'maxConnections',
            }),
          ],
        });
        return;
      }
      const admission = await limits.admitUser(context.viewer.userId, 'stream');
      if ('refused' in admission) {
        metrics.refused('user_connections');
        setResultAndStopExecution({
          errors: [
            clientError(
              'LIMIT_EXCEEDED',
              `Cannot subscribe: the user already holds the maximum of ${limits.maxConnectionsPerUser} connections (MAX_CONNECTIONS_PER_USER)`,
              { limit: 'maxConnectionsPerUser' },
            ),
          ],
        });
        return;
      }
      const node = limits.openConnection();
      metrics.streamsOpen.inc();
      // An administrator's disconnect (cluster/local-sessions.ts) ends the request's streams with FORBIDDEN.
      const backlog = context.backlog instanceof Backlog ? context.backlog : undefined;
      const userId = context.viewer.userId;
      const session: LocalSession = {
        kind: 'stream',
        disconnect() {
          const error = clientError('FORBIDDEN', DISCONNECTED);
          for (const stream of [...(backlog?.streams ?? [])]) stream.fail(error);
        },
      };
      sessions.add(userId, session);
      let open = true;
      const release = () => {
        if (!open) return;
        open = false;
        node.release();
        admission.release();
        sessions.remove(userId, session);
        metrics.streamsOpen.dec();
      };
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) {
            release();
            return;
          }
          return { onEnd: release };
        },
        onSubscribeError: release,
      };
    },
  };
}
