import { createSchema, createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { AuthError, bearerToken, type VerifyToken, type Viewer } from '../auth/verifier.ts';
import type { GraphQLContext } from '../graphql/context.ts';
import { resolvers } from '../graphql/resolvers.ts';
import { typeDefs } from '../graphql/type-defs.generated.ts';
import type { Logger } from '../log.ts';
import type { Services } from '../services.ts';

/** The initial context the graphql-ws transport hands to yoga: the socket's identity, already verified. */
export interface SocketContext {
  readonly socketViewer: Viewer;
}

export type Yoga = YogaServerInstance<Partial<SocketContext>, GraphQLContext>;

export interface HttpOptions {
  readonly services: Services;
  readonly verify: VerifyToken;
  readonly logger: Logger;
  readonly graphiql: boolean;
  readonly plugins: readonly Plugin[];
}

/** The GraphQL endpoint. Every transport (HTTP, SSE, graphql-ws) executes through this one yoga. */
export const GRAPHQL_PATH = '/graphql';

/**
 * Builds the yoga instance: GraphQL over HTTP and over SSE at {@link GRAPHQL_PATH}, schema-first
 * from `schema/`. Identity comes from `Authorization: Bearer <jwt>` or, for sockets, from
 * {@link SocketContext}.
 */
export function createHttpTransport(options: HttpOptions): Yoga {
  const { services, verify, logger } = options;
  const schema = createSchema<GraphQLContext>({ typeDefs, resolvers });
  return createYoga<Partial<SocketContext>, GraphQLContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    graphiql: options.graphiql ? { subscriptionsProtocol: 'WS' } : false,
    logging: {
      debug: (...args) => logger.debug({ args }, 'yoga'),
      info: (...args) => logger.info({ args }, 'yoga'),
      warn: (...args) => logger.warn({ args }, 'yoga'),
      error: (...args) => logger.error({ args: args.map(String) }, 'yoga error'),
    },
    plugins: [...options.plugins],
    async context(initial): Promise<GraphQLContext> {
      if (initial.socketViewer !== undefined) {
        return { viewer: initial.socketViewer, authProblem: undefined, services };
      }
      try {
        const token = bearerToken(initial.request.headers.get('authorization') ?? undefined);
        const viewer = token === undefined ? undefined : await verify(token);
        return { viewer, authProblem: undefined, services };
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        return { viewer: undefined, authProblem: error.message, services };
      }
    },
  });
}
