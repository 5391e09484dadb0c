import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createServerAdapter } from '@whatwg-node/server';
import type { App } from '../app.ts';

/** A running Node host for an {@link App}. */
export interface NodeHost {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops accepting, closes every socket with 1001 (going away), then closes the server. */
  close(): Promise<void>;
}

/**
 * Hosts `app` on node:http (HTTP and SSE through the fetch handler) and ws (graphql-ws on the same
 * path). The only place, with `main.ts`, that knows it runs on Node.
 */
export async function serveNode(app: App, options: { port: number; host?: string }): Promise<NodeHost> {
  // @whatwg-node/server (yoga's own adapter) bridges node:http to the fetch handler, including
  // streaming SSE responses and aborting them when the client goes away.
  const server: Server = createServer(createServerAdapter(app.fetch));
  const sockets = new WebSocketServer({ server, path: app.path });
  const graphqlWs = useServer(app.graphqlWs<Extra>(), sockets);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const client of sockets.clients) client.close(1001, 'Going away');
      await graphqlWs.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
