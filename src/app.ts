import type { ServerOptions } from 'graphql-ws';
import { useDevTokenRoute } from './auth/dev-token.ts';
import { createVerifier } from './auth/verifier.ts';
import type { Bus, HistoryLimits } from './bus/bus.ts';
import { createMemoryBus } from './bus/memory-bus.ts';
import { createRedisBus } from './bus/redis-bus.ts';
import type { Config } from './config.ts';
import { Hub } from './engine/hub.ts';
import { silentLogger, type Logger } from './log.ts';
import { Metrics } from './observability/metrics.ts';
import type { Services } from './services.ts';
import { useDemoPage } from './transport/demo-page.ts';
import { createGraphqlWsOptions } from './transport/graphql-ws.ts';
import { useOperationsRoutes } from './transport/operations-routes.ts';
import { createHttpTransport, GRAPHQL_PATH } from './transport/http.ts';

export interface AppDeps {
  readonly logger?: Logger;
  /** Epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** Also export prom-client's process and event-loop metrics. Default false (the runtime entry turns it on). */
  readonly processMetrics?: boolean;
}

/** One switchboard node, independent of the runtime that hosts it. */
export interface App {
  /** HTTP, SSE and the dev routes, as a web-standard fetch handler. */
  readonly fetch: (request: Request) => Promise<Response> | Response;
  /** The path that serves GraphQL and accepts graphql-ws upgrades. */
  readonly path: string;
  /** Options for a graphql-ws server (`graphql-ws/use/ws`, `graphql-ws/use/deno`). */
  graphqlWs<E>(): ServerOptions<Record<string, unknown> | undefined, E>;
  readonly services: Services;
  /** Connects the bus. Call before serving. */
  start(): Promise<void>;
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
  // The gauge reads the hub lazily, at scrape time, so the hub can be built after the metrics.
  const metrics: Metrics = new Metrics({ subscriptions: () => hub.subscriptionCount, processMetrics: deps.processMetrics ?? false });
  const bus: Bus =
    config.redisUrl === undefined
      ? createMemoryBus(limits, now)
      : createRedisBus({
          url: config.redisUrl,
          routing: config.routing,
          limits,
          logger,
          metrics,
          commandTimeoutMs: config.sendTimeoutMs,
        });
  const hub: Hub = new Hub(bus, { metrics });
  let draining = false;
  const services: Services = {
    nodeId: config.nodeId,
    bus,
    hub,
    maxMessageBytes: config.maxMessageBytes,
    now,
    metrics,
  };
  const verify = createVerifier(config);
  const development = config.jwt.kind === 'dev';
  const yoga = createHttpTransport({
    services,
    verify,
    logger,
    graphiql: !config.production,
    plugins: [
      useDemoPage({ graphqlPath: GRAPHQL_PATH }),
      useOperationsRoutes({ metrics, ready: () => !draining && bus.ready() }),
      ...(development ? [useDevTokenRoute(now)] : []),
    ],
  });
  return {
    fetch: (request) => yoga.fetch(request),
    path: GRAPHQL_PATH,
    graphqlWs: () => createGraphqlWsOptions({ yoga, verify, logger, metrics }),
    services,
    async start() {
      if (development) {
        logger.warn(
          {},
          'USING THE FIXED DEVELOPMENT JWT SECRET: anyone can mint tokens at POST /dev/token. Set JWT_SECRET or JWT_JWKS_URL for real use.',
        );
      }
      await bus.start({ deliver: (message) => hub.deliver(message), resync: () => hub.resync() });
      logger.info(
        { bus: config.redisUrl === undefined ? 'memory' : 'redis', routing: config.routing },
        'switchboard node started',
      );
    },
    drain() {
      if (!draining) logger.info({}, 'draining: not ready from now on');
      draining = true;
    },
    async stop() {
      hub.endAll();
      await bus.close();
    },
  };
}
