import { useDevTokenRoute } from '../auth/dev-token.ts';
import { withVerificationCache } from '../auth/verification-cache.ts';
import { createVerifier } from '../auth/verifier.ts';
import type { Bus, HistoryLimits } from '../bus/bus.ts';
import { createMemoryBus } from '../bus/memory-bus.ts';
import { createRedisBus } from '../bus/redis-bus.ts';
import { withTimedReads } from '../bus/timed-reads.ts';
import { createRedisLink } from '../redis/link.ts';
import { createClusterStatus } from './cluster-status.ts';
import type { Config } from './config.ts';
import { createSocketGate, type SocketGate } from './socket-gate.ts';
import { Hub } from '../engine/hub.ts';
import { errorMessage } from '../util/error-message.ts';
import { silentLogger, type Logger } from '../util/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import { createPresence } from '../presence/create-presence.ts';
import { anyAuthenticatedUser, type PresencePolicy } from '../presence/policy.ts';
import { Admission, LagProbe } from '../limits/admission.ts';
import { ConnectionLimits } from '../limits/connection-limits.ts';
import { guardRequest } from '../transport/http/http-guard.ts';
import { useQueryLimits } from '../graphql/plugins/query-limits.ts';
import { createRedisSendRate } from '../send-rate/redis-send-rate.ts';
import { createMemorySendRate } from '../send-rate/memory-send-rate.ts';
import { unlimited, type SendRateLimiter } from '../send-rate/send-rate.ts';
import { useStreamLimits } from '../graphql/plugins/stream-limits.ts';
import { useCsrfOnPost } from '../graphql/plugins/csrf-on-post.ts';
import type { Services } from '../graphql/services.ts';
import { AdminAuth } from '../transport/http/admin-auth.ts';
import { useAdminPage } from '../transport/http/admin-page.ts';
import { useAdminRoutes } from '../transport/http/admin-routes.ts';
import { useDemoPage } from '../transport/http/demo-page.ts';
import { wrongListener } from '../transport/http/internal-routes.ts';
import type { WebAssets } from '../transport/http/web-assets.ts';
import { createSocketProtocol, type HeldSocket } from '../transport/ws/socket-rules.ts';
import type { GraphqlWsProtocol } from '../transport/ws/protocol-server.ts';
import { useOperationsRoutes } from '../transport/http/operations-routes.ts';
import { GraphqlPost, headOf, toResponse } from '../transport/http/graphql-post.ts';
import { createYogaServer, GRAPHQL_PATH, type RequestInfo } from '../graphql/yoga.ts';
import type { Message } from '../domain/message.ts';
import { disabledTracing, type Tracing } from '../tracing/tracing.ts';

export interface AppDeps {
  readonly logger?: Logger;
  /** Epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** Also export prom-client's process and event-loop metrics. Default false (the runtime entry turns it on). */
  readonly processMetrics?: boolean;
  /** Who may see whose presence (`isOnline`, `presenceChanged`). Default: any authenticated user. */
  readonly presencePolicy?: PresencePolicy;
  /** The pages' browser scripts (the entries import web/dist/bundles.js). Without one its script answers 503. */
  readonly webAssets?: WebAssets;
  /** The host's RSS reading for the status heartbeat (Node: process.memoryUsage.rss; Deno: Deno.memoryUsage). */
  readonly rssBytes?: () => number;
  /** The host's event-loop delay p99 since its last reading (Node: perf_hooks); else the heartbeat timer's lateness. */
  readonly eventLoopDelayMs?: () => number;
  /** OpenTelemetry tracing (runCli's, from OTEL_*); default off. */
  readonly tracing?: Tracing;
}

/** One switchboard node, independent of the runtime that hosts it. */
export interface App {
  /**
   * HTTP, SSE and the dev routes, as a web-standard fetch handler. `info` is what the host knows of
   * the request beyond it (the client address; whether it came in on INTERNAL_PORT).
   */
  readonly fetch: (request: Request, info?: RequestInfo) => Promise<Response> | Response;
  /**
   * The JSON `POST /graphql` of a query or mutation, served without yoga's request pipeline (`fetch`
   * uses it; a runtime may feed it straight from its HTTP server, falling back to `fetch` when it
   * declines). See `transport/graphql-post.ts`.
   */
  readonly graphqlPost: GraphqlPost;
  /** The path that serves GraphQL and accepts graphql-ws upgrades. */
  readonly path: string;
  /** The graphql-ws protocol server with the service's socket rules, for a runtime to feed its sockets to (`transport/ws/protocol-server.ts`). */
  graphqlWs<R extends HeldSocket>(): GraphqlWsProtocol<R>;
  /** What the runtime checks on WebSocket upgrades and frames, before graphql-ws (SECURITY.md). */
  readonly sockets: SocketGate;
  readonly services: Services;
  /**
   * Connects the bus and presence; resolves once both are connected, however long Redis takes to come
   * up (retrying with backoff). Until then `/ready` answers 503, WebSocket upgrades 503, and sends
   * `UNAVAILABLE`. `options.onWaiting` is called once if the first attempt to reach Redis fails.
   * @throws {RedisStartError} when Redis refuses the node in a way retrying does not fix (credentials,
   *   TLS, ACL, a replica), or when `stop` is called while it waits.
   */
  start(options?: { readonly onWaiting?: (error: unknown) => void }): Promise<void>;
  /** Starts a graceful shutdown: `/ready` answers 503 from now on, so load balancers stop routing here. */
  drain(): void;
  /** Ends every subscription and closes the bus. */
  stop(): Promise<void>;
}

/** Builds a node from its configuration. Nothing connects until {@link App.start}. */
export function createApp(config: Config, deps: AppDeps = {}): App {
  const logger = (deps.logger ?? silentLogger).child({ nodeId: config.nodeId });
  const now = deps.now ?? Date.now;
  const limits: HistoryLimits = {
    maxPerUser: config.historyMaxPerUser,
    ttlMs: config.historyTtlSeconds * 1000,
    idempotencyTtlMs: config.idempotencyTtlSeconds * 1000,
  };
  // The gauges read the hub and the node's state lazily, at scrape time, so both can come later.
  const metrics: Metrics = new Metrics({
    subscriptions: () => hub.subscriptionCount,
    ready: () => ready(),
    redisConnected: config.redis === undefined ? undefined : () => bus.ready(),
    processMetrics: deps.processMetrics ?? false,
  });
  // One link to Redis for the whole node: the bus, presence and the send rate limit share its
  // connections, and with Sentinel all of them follow the primary together.
  const link =
    config.redis === undefined
      ? undefined
      : createRedisLink({ target: config.redis, commandTimeoutMs: config.sendTimeoutMs, logger, metrics, sharded: config.routing === 'user' });
  const { security } = config;
  const bucket = security.sendRatePerSecond === 0 ? undefined : { perSecond: security.sendRatePerSecond, burst: security.sendBurst };
  // On one Redis server the bus takes the sender's token inside its send script (one round trip);
  // on a Redis Cluster the bucket is in another slot than the stream, so the limiter checks first.
  const rateInBus = bucket !== undefined && config.redis !== undefined && config.redis.kind !== 'cluster';
  const tracing = deps.tracing ?? disabledTracing;
  const bus: Bus = withTracedReads(tracing, withTimedReads(
    link === undefined
      ? createMemoryBus(limits, now)
      : createRedisBus({
          link,
          waitReplicas: config.redisWaitReplicas,
          routing: config.routing,
          limits,
          logger,
          metrics,
          commandTimeoutMs: config.sendTimeoutMs,
          ...(rateInBus ? { sendRate: bucket } : {}),
        }),
    metrics.historyReads,
  ));
  const hub: Hub = new Hub(bus, { metrics, now });
  const sendRate: SendRateLimiter =
    bucket === undefined || rateInBus
      ? unlimited // no limit, or the bus's send script takes the token
      : link === undefined
        ? createMemorySendRate(bucket, now)
        : createRedisSendRate({ commands: link.commands, ...bucket, logger });
  const presence = createPresence(config.presence, {
    nodeId: config.nodeId,
    link,
    logger,
    registry: metrics.registry,
    now,
  });
  // A user's graphql-ws connections are counted cluster-wide by presence (this node's when it is off).
  const connectionLimits = new ConnectionLimits({ ...security, clusterSockets: (userId) => presence.sessionCount(userId) });
  // The lag probe runs only when the lag bound is on (one 50 ms timer per node).
  const lagProbe = config.admission.maxLagMs > 0 ? new LagProbe() : undefined;
  const admission = new Admission(config.admission, lagProbe === undefined ? undefined : () => lagProbe.lag());
  let draining = false;
  /** Connected (bus and presence started): until then the node refuses upgrades and is not ready. */
  let started = false;
  const ready = () => started && !draining && bus.ready();
  const cluster = createClusterStatus({
    config,
    link,
    metrics,
    hub,
    admission,
    state: () => ({ ready: ready(), draining, redisHealthy: bus.ready() }),
    rssBytes: deps.rssBytes,
    eventLoopDelayMs: deps.eventLoopDelayMs,
    logger,
  });
  const services: Services = {
    nodeId: config.nodeId,
    bus,
    hub,
    maxMessageBytes: config.maxMessageBytes,
    now,
    metrics,
    sendRate,
    presence,
    presencePolicy: deps.presencePolicy ?? anyAuthenticatedUser,
    tracing,
  };
  const verifier = createVerifier({ ...config, clockSkewSeconds: security.clockSkewSeconds });
  const verify = config.jwtCacheEntries === 0 ? verifier : withVerificationCache(verifier, Date.now, config.jwtCacheEntries);
  const development = config.jwt.kind === 'dev';
  const yoga = createYogaServer({
    services,
    verify,
    logger,
    graphiql: !config.production,
    slowConsumerBytes: security.slowConsumerBytes,
    plugins: [
      useQueryLimits(security, { production: config.production }),
      useStreamLimits(connectionLimits, metrics.connections, cluster.sessions),
      useCsrfOnPost(),
      useDemoPage({ graphqlPath: GRAPHQL_PATH }, deps.webAssets?.demoScript),
      useOperationsRoutes({ metrics, ready }),
      ...(config.adminToken === undefined
        ? []
        : [
            useAdminRoutes({ auth: new AdminAuth(config.adminToken), board: cluster.board, control: cluster.control, presence, bus, logger }),
            useAdminPage({ script: deps.webAssets?.adminScript, style: deps.webAssets?.adminStyle }),
          ]),
      ...(development ? [useDevTokenRoute(now)] : []),
    ],
  });
  const socketInternalError = (error: unknown) => logger.error({ err: errorMessage(error) }, 'websocket internal error');
  const graphqlPost = new GraphqlPost({
    yoga,
    path: GRAPHQL_PATH,
    maxPayloadBytes: security.maxPayloadBytes,
    allowedOrigins: security.allowedOrigins,
  });
  return {
    async fetch(request, info) {
      if (config.internalPort !== undefined) {
        const refused = wrongListener(new URL(request.url).pathname, info);
        if (refused !== undefined) return refused;
      }
      const head = headOf(request);
      if (graphqlPost.accepts(head)) {
        const body = await request.text();
        const answer = await graphqlPost.answer(head, body);
        if (answer !== undefined) return toResponse(answer);
        return yoga.fetch(new Request(request.url, { method: request.method, headers: request.headers, body }), info ?? {});
      }
      const guarded = await guardRequest(request, security);
      return guarded instanceof Response ? guarded : yoga.fetch(guarded, info ?? {});
    },
    graphqlPost,
    path: GRAPHQL_PATH,
    graphqlWs: () =>
      createSocketProtocol({
        yoga,
        verify,
        logger,
        metrics,
        security,
        limits: connectionLimits,
        presence,
        sessions: cluster.sessions,
        tracing,
        internalError: socketInternalError,
      }),
    sockets: createSocketGate({
      security,
      metrics: metrics.connections,
      limits: connectionLimits,
      admission,
      connected: () => started,
      internalError: socketInternalError,
    }),
    services,
    async start(options) {
      if (development) {
        logger.warn(
          {},
          'USING THE FIXED DEVELOPMENT JWT SECRET: anyone can mint tokens at POST /dev/token. Set JWT_SECRET or JWT_JWKS_URL for real use.',
        );
      }
      await link?.start({ onWaiting: (error) => options?.onWaiting?.(error) });
      await bus.start({
        // A message that carries a trace gets its delivery span here (the receiving node).
        deliver: (message) =>
          tracing.enabled && message.traceparent !== undefined
            ? tracing.delivery(message as Message & { traceparent: string }, (tally) => hub.deliver(message, tally))
            : hub.deliver(message),
        resync: () => hub.resync(),
        suspend: () => hub.hold(),
      });
      await presence.start();
      await cluster.start();
      started = true;
      logger.info(
        { bus: config.redis?.kind ?? 'memory', routing: config.routing },
        'switchboard node started',
      );
    },
    drain() {
      if (!draining) logger.info({}, 'draining: not ready from now on');
      draining = true;
    },
    async stop() {
      lagProbe?.stop();
      await cluster.stop();
      hub.endAll();
      await presence.close();
      await Promise.all([bus.close(), sendRate.close()]);
      await link?.close();
    },
  };
}

/** `bus` with every history read in a span when tracing is on (a catch-up or a resume, linked to the senders' traces). */
function withTracedReads(tracing: Tracing, bus: Bus): Bus {
  if (!tracing.enabled) return bus;
  return { ...bus, read: (userId, after, limit) => tracing.historyRead(after, () => bus.read(userId, after, limit)) };
}
