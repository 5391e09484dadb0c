import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import { AuthError, bearerToken, type VerifyToken, type Viewer } from '../auth/verifier.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { SocketContext, Yoga } from './http.ts';

export interface GraphqlWsOptions {
  readonly yoga: Yoga;
  readonly verify: VerifyToken;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** What a socket carries once `connection_init` was accepted. */
interface Connection {
  readonly id: string;
  readonly viewer: Viewer;
  readonly logger: Logger;
}

type Executor = (args: ExecutionArgs) => ReturnType<NonNullable<ServerOptions['execute']>>;
interface Root {
  readonly execute: Executor;
  readonly subscribe: Executor;
}

/**
 * graphql-ws server options, independent of the socket library: `runtime/` feeds them to
 * `graphql-ws/use/ws` (Node) or `graphql-ws/use/deno`. `connection_init` must carry
 * `connectionParams.authorization = "Bearer <jwt>"`; without a valid one graphql-ws closes with 4403.
 * Operations execute through yoga's envelop, so every yoga plugin (masking, limits) applies here too.
 */
export function createGraphqlWsOptions<E>(
  options: GraphqlWsOptions,
): ServerOptions<Record<string, unknown> | undefined, E> {
  const { yoga, verify, logger, metrics } = options;
  // graphql-ws passes the same context object to every hook of one socket.
  const connections = new WeakMap<object, Connection>();
  return {
    async onConnect(ctx) {
      try {
        const token = bearerToken(ctx.connectionParams?.['authorization']);
        if (token === undefined) throw new AuthError('Invalid authorization: connectionParams.authorization is missing');
        const viewer = await verify(token);
        const id = crypto.randomUUID().slice(0, 8);
        const connection = { id, viewer, logger: logger.child({ connId: id }) };
        connections.set(ctx, connection);
        metrics.connectionsOpen.inc();
        connection.logger.debug({ userId: viewer.userId }, 'websocket connected');
        return true;
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        logger.info({ reason: error.message }, 'websocket connection refused');
        return false;
      }
    },
    onDisconnect(ctx, code, reason) {
      const connection = connections.get(ctx);
      if (connection === undefined) return;
      metrics.connectionsOpen.dec();
      connection.logger.debug({ code, reason }, 'websocket closed');
    },
    async onSubscribe(ctx, _id, payload) {
      const viewer = connections.get(ctx)?.viewer;
      if (viewer === undefined) return [new GraphQLError('Not authenticated', { extensions: { code: 'UNAUTHENTICATED' } })];
      const initial: SocketContext = { socketViewer: viewer };
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        ...initial,
        params: payload,
      });
      let document;
      try {
        document = parse(payload.query);
      } catch (error) {
        if (error instanceof GraphQLError) return [error];
        throw error;
      }
      const errors = validate(schema, document);
      if (errors.length > 0) return errors;
      const root: Root = { execute, subscribe };
      return {
        schema,
        document,
        operationName: payload.operationName ?? null,
        variableValues: payload.variables ?? null,
        contextValue: await contextFactory(),
        rootValue: root,
      };
    },
    execute: (args) => (args.rootValue as Root).execute(args),
    subscribe: (args) => (args.rootValue as Root).subscribe(args),
  };
}
