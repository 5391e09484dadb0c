import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServerAdapter, sendNodeResponse } from '@whatwg-node/server';
import { handleProtocols } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { App } from '../../app/create-app.ts';
import type { Host } from '../../app/cli.ts';
import type { PostHead } from '../../transport/http/graphql-post.ts';
import { useGraphqlWs } from './graphql-ws.ts';
import { listenShared } from './listen.ts';
import { UpgradePacer } from './upgrade-pacer.ts';

/** The head of a node:http request, for `GraphqlPost.accepts`. */
function nodeHead(req: IncomingMessage): PostHead {
  const { headers } = req;
  return {
    method: req.method ?? '',
    target: req.url ?? '',
    contentType: headers['content-type'],
    contentLength: headers['content-length'],
    accept: headers.accept,
    origin: headers.origin,
    authorization: headers.authorization,
    traceparent: typeof headers.traceparent === 'string' ? headers.traceparent : undefined,
  };
}

/** What the fetch handler learns of a node:http request beyond it: its peer, and which listener took it. */
function infoOf(req: IncomingMessage | undefined, internal: boolean): { clientAddress?: string; internal: boolean } {
  // An IPv4 peer on the dual-stack listener reads as ::ffff:a.b.c.d: log it as Deno does, a.b.c.d.
  const address = req?.socket.remoteAddress?.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/u, '$1');
  return address === undefined ? { internal } : { clientAddress: address, internal };
}

/** Reads the body (its Content-Length, within MAX_PAYLOAD_BYTES, was checked) and answers through GraphqlPost, or the fetch handler when it declines. */
async function servePost(app: App, head: PostHead, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const answer = await app.graphqlPost.answer(head, body);
  if (answer === undefined) {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${head.target}`, { method: head.method, headers, body });
    const response = await app.fetch(request, infoOf(req, false));
    await sendNodeResponse(response, res, req, false);
    return;
  }
  res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  res.end(answer.body);
}

/** The request's body as text. Events, not `for await`: the async iterator costs a stream wrapper and an end-of-stream watcher per request. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve((chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8')));
    req.once('error', reject);
  });
}

/**
 * WebSocket upgrades completed per event-loop turn (upgrade-pacer.ts). A handshake and the frames
 * that follow it cost the node 0.2–0.6 ms, depending on the machine (`scripts/handshake-cost.mjs`), so
 * a turn holds about 7–20 ms of new-socket work; an idle node turns often enough that the bound costs
 * a lone client nothing. 8 and 16 were tried against 32 in 16,000-user storms (docs/SCALING.md "Third
 * pass"): no better for the users already on the node.
 */
const UPGRADES_PER_TURN = 32;

/** Media types of responses that stay open until the subscription ends (GraphQL over SSE, multipart). */
const STREAMING_TYPES = ['text/event-stream', 'multipart/mixed'];

/**
 * Hosts `app` on node:http (HTTP and SSE through the fetch handler) and ws (graphql-ws on the same
 * path). The only place, with `main.ts`, that knows it runs on Node.
 *
 * `close` drains: it stops accepting connections, closes every WebSocket with 1001 (going away) so
 * clients reconnect to another node and resume, waits for in-flight HTTP exchanges (sends) to finish,
 * then cuts what is left — SSE streams, which the client sees fail and resumes elsewhere.
 */
export async function serveNode(app: App, options: { port: number; host?: string; internal?: { port: number; host: string } }): Promise<Host> {
  // Responses still being produced or written, except streaming ones (which never end by themselves).
  const exchanges = new Set<ServerResponse>();
  const handleOn = (internal: boolean) => async (request: Request, context: { req?: IncomingMessage; res?: ServerResponse }): Promise<Response> => {
    const { res } = context;
    if (res !== undefined) {
      exchanges.add(res);
      res.once('close', () => exchanges.delete(res));
    }
    const response = await app.fetch(request, infoOf(context.req, internal));
    const type = response.headers.get('content-type') ?? '';
    if (res !== undefined && STREAMING_TYPES.some((streaming) => type.startsWith(streaming))) exchanges.delete(res);
    return response;
  };
  // @whatwg-node/server (yoga's own adapter) bridges node:http to the fetch handler, including
  // streaming SSE responses and aborting them when the client goes away.
  const adapter = createServerAdapter<{ req: IncomingMessage; res: ServerResponse }>(handleOn(false));
  // A JSON `POST /graphql` of a query or mutation (every send) goes straight from node:http to the
  // core's GraphqlPost, with no fetch objects; it declines before anything runs when the request is
  // anything else, and the adapter serves it as before.
  const server: Server = createServer((req, res) => {
    const head = nodeHead(req);
    if (!app.graphqlPost.accepts(head)) return void adapter(req, res);
    exchanges.add(res);
    res.once('close', () => exchanges.delete(res));
    servePost(app, head, req, res).catch((error: unknown) => {
      app.sockets.internalError(error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end('{"errors":[{"message":"Unexpected error."}]}');
    });
  });
  const sockets = new WebSocketServer({
    server,
    path: app.path,
    // ws refuses a larger frame with 1009 before buffering it.
    maxPayload: app.sockets.maxPayloadBytes,
    handleProtocols,
    // The binding keeps its own list of sockets (graphql-ws.ts).
    clientTracking: false,
    verifyClient({ origin }: { origin?: string }, done: (result: boolean, code?: number, message?: string) => void) {
      const refusal = app.sockets.refusal(origin);
      if (refusal === undefined) done(true);
      else done(false, refusal.status, refusal.message);
    },
  });
  // ws would hand binary frames to the protocol server as text; Deno's would not, so both refuse them.
  const graphqlWs = useGraphqlWs(app.graphqlWs<WebSocket>(), sockets, {
    frameRefusal: (data, isBinary) => (isBinary ? app.sockets.frameRefusal(data) : undefined),
    internalError: (error) => app.sockets.internalError(error),
    opened: () => app.sockets.opened(),
    admit: () => app.sockets.admit(),
    settled: () => app.sockets.settled(),
  });
  // ws listens for 'upgrade' on `server` itself; take its place so upgrades are paced. ws keeps
  // re-emitting the server's 'error' (node-graphql-ws.ts reads it).
  const pacer = new UpgradePacer(UPGRADES_PER_TURN);
  const connected = (socket: WebSocket, req: IncomingMessage) => sockets.emit('connection', socket, req);
  server.removeAllListeners('upgrade');
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => pacer.submit(socket, () => sockets.handleUpgrade(req, socket, head, connected)));
  const listening = await listenShared(server, options);
  // INTERNAL_PORT: /metrics and /admin* only (the app refuses them on the public listener), no sockets.
  const internal = options.internal === undefined ? undefined : createServer(createServerAdapter<{ req: IncomingMessage; res: ServerResponse }>(handleOn(true)));
  if (internal !== undefined && options.internal !== undefined) {
    const { port, host } = options.internal;
    await new Promise<void>((resolve, reject) => {
      internal.once('error', reject);
      internal.listen({ port, host }, () => {
        internal.off('error', reject);
        resolve();
      });
    }).catch(async (error: unknown) => {
      await listening.close();
      await new Promise((resolve) => server.close(resolve));
      throw error;
    });
  }
  const internalAddress = internal?.address();
  return {
    port: listening.port,
    ...(typeof internalAddress === 'object' && internalAddress !== null ? { internalPort: internalAddress.port } : {}),
    async close() {
      const internalClosed = internal === undefined ? Promise.resolve() : new Promise<void>((resolve) => internal.close(() => resolve()));
      internal?.closeAllConnections();
      // Both settle once every connection has ended (closed below).
      const closed = Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), listening.close()]);
      // Closes every WebSocket with 1001.
      await graphqlWs.dispose();
      server.closeIdleConnections();
      while (exchanges.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      server.closeAllConnections();
      await Promise.all([closed, internalClosed]);
    },
  };
}
