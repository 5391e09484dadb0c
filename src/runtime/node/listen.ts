import type { Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';

/** Connections the kernel may queue, per listening socket, before the node accepts them. */
const LISTEN_BACKLOG = 65_535;

/**
 * Listening sockets on the node's one port where the runtime can share it (SO_REUSEPORT). libuv
 * accepts one connection per listening socket per event-loop turn (libuv#3696), so in a reconnect
 * storm a busy node (16,000 sockets, turns of 1–2 ms) accepted about 700 connections a second while
 * its kernel queue overflowed and dropped SYNs that clients retried only after TCP's 1, 3, 7 s
 * backoff. With 8 sockets it accepts up to 8 per turn, and the kernel spreads new connections over
 * 8 queues (8 × net.core.somaxconn).
 */
const SHARED_LISTENERS = 8;

/** Whether `listen({ reusePort })` exists here: Node 22.12+ and 23.1+, on Linux (where it balances connections). */
export function canSharePort(version = process.versions.node, platform = process.platform): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return platform === 'linux' && (major > 22 || (major === 22 && minor >= 12));
}

/**
 * Makes `server` listen on `port` (0: a free one), with a deep accept queue, plus — where the port
 * can be shared — further listening sockets on the same port that hand what they accept to `server`
 * (its 'connection' event, as node:http documents), so every connection meets the same HTTP server,
 * limits and handlers whichever socket accepted it. Rejects as a plain listen does when the port is
 * taken (by anyone, a sharing process included); a further socket that cannot listen is left out.
 */
export async function listenShared(
  server: HttpServer,
  options: { port: number; host?: string | undefined },
): Promise<{ port: number; /** Listening sockets. */ sockets: number; /** Stops the further sockets; settles once the connections they accepted have ended. */ close(): Promise<void> }> {
  const listen = (target: HttpServer | Server, port: number, reusePort: boolean) =>
    new Promise<void>((resolve, reject) => {
      target.once('error', reject);
      target.listen({ port, host: options.host, backlog: LISTEN_BACKLOG, ...(reusePort ? { reusePort } : {}) }, () => {
        target.off('error', reject);
        resolve();
      });
    });
  if (!canSharePort()) {
    await listen(server, options.port, false);
    return { port: (server.address() as AddressInfo).port, sockets: 1, close: async () => {} };
  }
  // SO_REUSEPORT would also let the node share its port with another process of the same user (a
  // second node started by mistake) instead of failing with EADDRINUSE: first take the port
  // exclusively, which fails as a plain listen does, then let it go and take it shared.
  const probe = createServer();
  await listen(probe, options.port, false);
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  await listen(server, port, true);
  const extra: Server[] = [];
  for (let i = 1; i < SHARED_LISTENERS; i++) {
    // noDelay, as node:http sets it on the sockets it accepts itself.
    const listener = createServer({ noDelay: true }, (socket) => server.emit('connection', socket));
    // Errors after listening (an accept failing for want of descriptors) are the main socket's to report too.
    const listening = await listen(listener, port, true).then(
      () => true,
      () => false,
    );
    listener.on('error', () => {});
    if (listening) extra.push(listener);
  }
  return {
    port,
    sockets: 1 + extra.length,
    close: () => Promise.all(extra.map((listener) => new Promise<void>((resolve) => listener.close(() => resolve())))).then(() => {}),
  };
}
