import Fastify from 'fastify';
import { Redis } from 'ioredis';
import mercurius from 'mercurius';
import mqemitterRedis from 'mqemitter-redis';
import { BUS_RECEIVED_METRIC, CONTRACT_SDL, GRAPHQL_PATH, listeningLine } from '../lib/contract.ts';
import { secretFromEnv } from '../lib/jwt.ts';
import { metricsText, readNodeEnv } from '../lib/node-env.ts';
import { createHs256Verifier } from '../floor/hs256.ts';
import { resolvers, type BenchContext } from './resolvers.ts';

// The reference a Node team would pick instead of switchboard, set up as mercurius's docs describe
// it: Fastify + mercurius, subscriptions over @fastify/websocket (graphql-transport-ws, negotiated
// from the client's Sec-WebSocket-Protocol), mqemitter-redis as the emitter with one topic per
// recipient, graphql-jit on from a query's first execution (`jit: 1`). Tokens are checked like the
// floor's (synchronous node:crypto HS256): over HTTP from the Authorization header, on sockets from
// connection_init's payload.authorization in `subscription.onConnect`. No history, no rate limit.

const env = readNodeEnv(process.env);
const verify = createHs256Verifier(secretFromEnv(process.env));

// Our own connections, with the option mqemitter-redis sets on those it would create itself, so the
// bus counter can listen on the subscriber.
const subConn = new Redis(env.redisUrl, { enableAutoPipelining: true });
const pubConn = new Redis(env.redisUrl, { enableAutoPipelining: true });
let busReceived = 0;
subConn.on('messageBuffer', () => (busReceived += 1));
const emitter = mqemitterRedis({ subConn, pubConn });

const app = Fastify({ logger: false });

await app.register(mercurius, {
  schema: CONTRACT_SDL,
  resolvers,
  path: GRAPHQL_PATH,
  graphiql: false,
  jit: 1,
  context: (request) => ({ userId: verify(request.headers.authorization) }),
  subscription: {
    emitter,
    // A truthy object authorises the socket and is merged into every subscription's context.
    onConnect: (data: { payload: unknown }): Pick<BenchContext, 'userId'> | false => {
      const payload = typeof data.payload === 'object' && data.payload !== null ? (data.payload as Record<string, unknown>) : {};
      const userId = verify(payload['authorization']);
      return userId === undefined ? false : { userId };
    },
  },
});

app.get('/metrics', async (_request, reply) => {
  await reply.header('content-type', 'text/plain; version=0.0.4').send(metricsText(BUS_RECEIVED_METRIC, busReceived));
});

await app.listen({ port: env.port, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(listeningLine(typeof address === 'object' && address !== null ? address.port : env.port, env.nodeId));

// Exiting closes every socket at once; a graceful app.close() would wait for thousands of them.
process.once('SIGTERM', () => {
  subConn.disconnect();
  pubConn.disconnect();
  process.exit(0);
});
