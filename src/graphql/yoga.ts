import { createSchema, createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { AuthError, bearerToken, type VerifyToken, type Viewer } from '../auth/verifier.ts';
import { TRACEPARENT } from '../domain/message.ts';
import { clientError } from './errors.ts';
import type { GraphQLContext } from './context.ts';
import { resolvers } from './resolvers.ts';
import { typeDefs } from './type-defs.generated.ts';
import type { Logger } from '../util/logger.ts';
import { Backlog } from '../engine/backlog.ts';
import { boundedCache } from '../util/bounded-cache.ts';
import type { Services } from './services.ts';
import { useCompiledExecution } from './compiled-execution.ts';

/** The initial context the graphql-ws transport hands to yoga: the socket's identity, already verified. */
export interface SocketContext {
  readonly socketViewer: Viewer;
  /** The socket's slow-consumer rule; its subscriptions report what they owe to it. */
  readonly socketBacklog: Backlog;
}

/**
 * What the runtime host knows of an HTTP request that a `Request` does not carry, handed to
 * `App.fetch(request, info)` and on to yoga as its server context.
 */
export interface RequestInfo {
  /** The peer's IP address (Node: the socket's remoteAddress; Deno: `info.remoteAddr.hostname`). */
  readonly clientAddress?: string;
  /** The request came in on INTERNAL_PORT's listener (the only one serving /metrics and /admin when it is set). */
  readonly internal?: boolean;
}

/** yoga's server context: a socket's identity (graphql-ws), or what the host knows of a request (HTTP). */
type ServerContext = Partial<SocketContext> & RequestInfo;

export type Yoga = YogaServerInstance<ServerContext, GraphQLContext>;

export interface YogaOptions {
  readonly services: Services;
  readonly verify: VerifyToken;
  readonly logger: Logger;
  readonly graphiql: boolean;
  readonly plugins: readonly Plugin[];
  /** Unsent bytes after which an HTTP subscription (SSE) ends with SLOW_CONSUMER. */
  readonly slowConsumerBytes: number;
}

/** What a client sees in place of an unexpected error (yoga's default masking message). */
export const UNEXPECTED_ERROR_MESSAGE = 'Unexpected error.';

/** The GraphQL endpoint. Every transport (HTTP, SSE, graphql-ws) executes through this one yoga. */
export const GRAPHQL_PATH = '/graphql';

/**
 * Builds the yoga instance: GraphQL over HTTP and over SSE at {@link GRAPHQL_PATH}, schema-first
 * from `schema/`. Identity comes from `Authorization: Bearer <jwt>` or, for sockets, from
 * {@link SocketContext}.
 */
export function createYogaServer(options: YogaOptions): Yoga {
  const { services, verify, logger } = options;
  const schema = createSchema<GraphQLContext>({ typeDefs, resolvers });
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    // Validation results are kept per cached document, so this bounds both (security/bounded-cache.ts).
    parserAndValidationCache: { documentCache: boundedCache(256), errorCache: boundedCache(64) },
    landingPage: false,
    maskedErrors: { errorMessage: UNEXPECTED_ERROR_MESSAGE },
    // The body limit is MAX_PAYLOAD_BYTES, enforced before yoga by `guardRequest` (by Content-Length,
    // or by reading at most that much of a chunked body). Yoga's own limit would pipe every request
    // body through one more TransformStream and Request (a stream pipeline, an AbortController and
    // the DOMException its abort makes, per send): about a tenth of a node's CPU per message.
    maxRequestBodySize: false,
    graphiql: options.graphiql ? { subscriptionsProtocol: 'WS' } : false,
    logging: {
      debug: (...args) => logger.debug({ args }, 'yoga'),
      info: (...args) => logger.info({ args }, 'yoga'),
      warn: (...args) => logger.warn({ args }, 'yoga'),
      error: (...args) => logger.error({ args: args.map(String) }, 'yoga error'),
    },
    plugins: [...options.plugins, useCompiledExecution()],
    async context(initial): Promise<GraphQLContext> {
      const traceparent = services.tracing.enabled ? traceparentOf(initial) : undefined;
      if (initial.socketViewer !== undefined) {
        return { viewer: initial.socketViewer, authProblem: undefined, services, backlog: initial.socketBacklog, traceparent };
      }
      const backlog = requestBacklog(options.slowConsumerBytes, logger);
      try {
        const token = bearerToken(initial.request.headers.get('authorization') ?? undefined);
        const viewer = token === undefined ? undefined : await verify(token);
        return { viewer, authProblem: undefined, services, backlog, traceparent };
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        services.metrics.connections.authFailed(error.reason);
        return { viewer: undefined, authProblem: error.message, services, backlog, traceparent };
      }
    },
  });
}

/**
 * The slow-consumer rule for one HTTP request: an SSE response is pulled only as fast as the client
 * reads, so what it owes is what its subscription holds. Past the limit the subscription yields a
 * `SLOW_CONSUMER` error and ends, which ends the response.
 */
function requestBacklog(limitBytes: number, logger: Logger): Backlog {
  const backlog: Backlog = new Backlog({
    limitBytes,
    owner: {
      bufferedAmount: 0,
      slowConsumer(unsentBytes) {
        logger.warn({ unsentBytes }, 'SSE subscription ended: slow consumer');
        const error = clientError(
          'SLOW_CONSUMER',
          `Subscription ended: the client read too slowly: more than ${limitBytes} bytes were waiting (SLOW_CONSUMER_BYTES); resubscribe with 'after'`,
        );
        for (const stream of [...backlog.streams]) stream.fail(error);
      },
    },
  });
  return backlog;
}

/** The caller's `traceparent`: the HTTP header, else the operation's `extensions.traceparent`; only a well-formed one. */
function traceparentOf(initial: { request?: Request; params?: { extensions?: Record<string, unknown> | null } }): string | undefined {
  const candidate = initial.request?.headers.get('traceparent') ?? initial.params?.extensions?.['traceparent'];
  return typeof candidate === 'string' && TRACEPARENT.test(candidate.trim().toLowerCase()) ? candidate.trim().toLowerCase() : undefined;
}
