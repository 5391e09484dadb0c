import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import { BUS_RECEIVED_METRIC, GRAPHQL_PATH, listeningLine } from '../lib/contract.ts';
import { secretFromEnv } from '../lib/jwt.ts';
import { metricsText, readNodeEnv } from '../lib/node-env.ts';
import { createHs256Verifier } from './hs256.ts';
import { Registry } from './registry.ts';
import { createSendHandler } from './send-handler.ts';
import { serveSocket } from './socket-session.ts';

// The floor: the least a Node process must do to serve the contract with ws and Redis. Whatever
// switchboard spends beyond this is the price of GraphQL execution and its own machinery.

const env = readNodeEnv(process.env);
const verify = createHs256Verifier(secretFromEnv(process.env));
const publisher = new Redis(env.redisUrl);
const subscriber = new Redis(env.redisUrl);
const registry = new Registry(subscriber);
const send = createSendHandler(publisher, verify);

const server = createServer((request, response) => {
  const path = request.url?.split('?')[0];
  if (request.method === 'POST' && path === GRAPHQL_PATH) {
    send(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  } else if (request.method === 'GET' && path === '/metrics') {
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    response.end(metricsText(BUS_RECEIVED_METRIC, registry.busReceived));
  } else {
    response.writeHead(404);
    response.end();
  }
});
const sockets = new WebSocketServer({
  server,
  path: GRAPHQL_PATH,
  handleProtocols: (protocols) => (protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : false),
});
sockets.on('connection', (socket) => serveSocket(socket, registry, verify));

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
