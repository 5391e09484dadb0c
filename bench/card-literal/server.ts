import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import { BUS_RECEIVED_METRIC, GRAPHQL_PATH, listeningLine } from '../lib/contract.ts';
import { secretFromEnv, verifyBearer } from '../lib/jwt.ts';
import { metricsText, readNodeEnv } from '../lib/node-env.ts';
import { createCardSchema, type CardContext } from './schema.ts';

// The design card's literal stack, wired as the libraries' docs show it: yoga over node:http,
// graphql-ws/use/ws on the same path with yoga's envelop (the yoga "graphql-ws" recipe), and
// RedisPubSub from graphql-redis-subscriptions. Nothing here is tuned.

const env = readNodeEnv(process.env);
const key = secretFromEnv(process.env);
const publisher = new Redis(env.redisUrl);
const subscriber = new Redis(env.redisUrl);
let busReceived = 0;
subscriber.on('message', () => (busReceived += 1)); // the bench's counter; RedisPubSub has its own listener
const pubsub = new RedisPubSub({ publisher, subscriber });

const yoga = createYoga<{ socketUserId?: string | undefined }, CardContext>({
  schema: createCardSchema(pubsub),
  graphqlEndpoint: GRAPHQL_PATH,
  landingPage: false,
  graphiql: false,
  logging: false,
  context: async ({ request, socketUserId }) => ({
    userId: socketUserId ?? (await verifyBearer(key, request.headers.get('authorization'))),
  }),
});

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/metrics') {
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    response.end(metricsText(BUS_RECEIVED_METRIC, busReceived));
    return;
  }
  void yoga(request, response);
});
const sockets = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
const users = new WeakMap<object, string>();

useServer(
  {
    // graphql-ws docs: authenticate in onConnect; returning false closes with 4403.
    onConnect: async (ctx) => {
      const userId = await verifyBearer(key, ctx.connectionParams?.['authorization']);
      if (userId === undefined) return false;
      users.set(ctx, userId);
      return true;
    },
    execute: (args) => (args.rootValue as Envelope).execute(args),
    subscribe: (args) => (args.rootValue as Envelope).subscribe(args),
    onSubscribe: async (ctx, _id, payload) => {
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        socketUserId: users.get(ctx),
        params: payload,
      });
      const args = {
        schema,
        operationName: payload.operationName ?? null,
        document: parse(payload.query),
        variableValues: payload.variables ?? null,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe },
      };
      const errors = validate(args.schema, args.document);
      return errors.length > 0 ? errors : args;
    },
  },
  sockets,
);

type Envelope = ReturnType<typeof yoga.getEnveloped>;

server.listen(env.port, '127.0.0.1', () => {
  process.stdout.write(listeningLine((server.address() as AddressInfo).port, env.nodeId));
});

process.once('SIGTERM', () => {
  for (const client of sockets.clients) client.terminate();
  server.close();
  publisher.disconnect();
  subscriber.disconnect();
  process.exit(0);
});
