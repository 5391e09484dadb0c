import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from '../../bench/lib/free-port.ts';

/**
 * A TCP port on 127.0.0.1 that refuses connections until {@link TcpForward.forwardTo} is called,
 * then pipes each connection to the target. It lets a node be pointed at an address before the Redis
 * behind it exists (Redis helpers choose their own ports when they start).
 */
export interface TcpForward {
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** Starts accepting connections on {@link port} and piping them to `target`. */
  forwardTo(target: { host?: string; port: number }): Promise<void>;
  /** Stops accepting and cuts every piped connection. */
  close(): Promise<void>;
}

/** Reserves a free port for a {@link TcpForward}; nothing listens on it until `forwardTo`. */
export async function reserveForward(): Promise<TcpForward> {
  const port = await freePort();
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const keep = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  return {
    port,
    address: `127.0.0.1:${port}`,
    async forwardTo(target) {
      server = createServer((client) => {
        keep(client);
        const upstream = connect(target.port, target.host ?? '127.0.0.1');
        keep(upstream);
        client.pipe(upstream).pipe(client);
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
      });
      await new Promise<void>((resolve, reject) => {
        server?.once('error', reject);
        server?.listen(port, '127.0.0.1', () => resolve());
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server !== undefined) await new Promise<void>((resolve) => server?.close(() => resolve()));
    },
  };
}
