import { createServer } from 'node:net';

/**
 * A TCP port that was free on 127.0.0.1 a moment ago (for redis-server, which cannot bind port 0).
 * Shared by the benchmarks and the tests (test/helpers/): bench/ compiles only its own folder, so
 * what both use lives here.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('Cannot find a free port: no address'))));
    });
  });
}
