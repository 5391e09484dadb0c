import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP proxy on 127.0.0.1 in front of one port, that can stall like a dead network path. */
export interface TcpProxy {
  readonly port: number;
  /** Stops forwarding in both directions without closing anything: no FIN, no RST, just silence. */
  stall(): void;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

/** Starts a {@link TcpProxy} forwarding to `127.0.0.1:<targetPort>`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let stalled = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk) => {
        if (!stalled) to.write(chunk); // once stalled, bytes are swallowed: the path is dead
      });
    forward(client, upstream);
    forward(upstream, client);
    client.on('end', () => stalled || upstream.end());
    upstream.on('end', () => stalled || client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the proxy has no port');
  return {
    port: address.port,
    stall: () => void (stalled = true),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
