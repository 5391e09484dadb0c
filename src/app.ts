import type { ServerOptions } from 'graphql-ws';
import { useDevTokenRoute } from './auth/dev-token.ts';
import { createVerifier } from './auth/verifier.ts';
import type { Bus, HistoryLimits } from './bus/bus.ts';
import { createMemoryBus } from './bus/memory-bus.ts';
import { createRedisBus } from './bus/redis-bus.ts';
import type { Config } from './config.ts';
import { Hub } from './engine/hub.ts';
import { silentLogger, type Logger } from './log.ts';
import type { Services } from './services.ts';
import { useDemoPage } from './transport/demo-page.ts';
import { createGraphqlWsOptions } from './transport/graphql-ws.ts';
import { createHttpTransport, GRAPHQL_PATH } from './transport/http.ts';

export interface AppDeps {
  readonly logger?: Logger;
  /** Epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
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
  const bus: Bus =
    config.redisUrl === undefined
      ? createMemoryBus(limits, now)
      : createRedisBus({ url: config.redisUrl, routing: config.routing, limits, logger, commandTimeoutMs: config.sendTimeoutMs });
  const hub = new Hub(bus);
  const services: Services = {
    nodeId: config.nodeId,
    bus,
    hub,
    maxMessageBytes: config.maxMessageBytes,
    now,
  };
  const verify = createVerifier(config);
  const development = config.jwt.kind === 'dev';
  const yoga = createHttpTransport({
    services,
    verify,
    logger,
    graphiql: !config.production,
    plugins: [useDemoPage({ graphqlPath: GRAPHQL_PATH }), ...(development ? [useDevTokenRoute(now)] : [])],
  });
  return {
    fetch: (request) => yoga.fetch(request),
    path: GRAPHQL_PATH,
    graphqlWs: () => createGraphqlWsOptions({ yoga, verify, logger }),
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
    async stop() {
      hub.endAll();
      await bus.close();
    },
  };
}
