import { createServer, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { canSharePort, listenShared } from '../../../src/runtime/node/listen.ts';

describe('canSharePort', () => {
  it('is true from Node 22.12 and 23.1 on Linux only', () => {
    expect(['20.20.2', '22.11.0', '22.12.0', '23.1.0', '26.12.1'].map((version) => canSharePort(version, 'linux'))).toEqual([false, false, true, true, true]);
    expect(canSharePort('26.12.1', 'darwin')).toBe(false);
  });
});

describe('listenShared', () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it('serves every connection through the one HTTP server, whichever listening socket accepted it', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    let connections = 0;
    let acceptedByOthers = 0;
    // node:net marks a socket with the server that accepted it (node:http re-marks it after this).
    server.prependListener('connection', (socket: { server?: unknown }) => {
      connections += 1;
      if (socket.server !== server) acceptedByOthers += 1;
    });
    const listening = await listenShared(server, { port: 0, host: '127.0.0.1' });
    stops.push(async () => {
      server.closeAllConnections();
      await Promise.all([new Promise((resolve) => server.close(resolve)), listening.close()]);
    });
    const get = () =>
      new Promise<string>((resolve, reject) => {
        // A fresh connection each (no agent): the kernel spreads them over the listening sockets.
        const req = request({ host: '127.0.0.1', port: listening.port, agent: false }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += String(chunk)));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end();
      });
    const bodies = await Promise.all(Array.from({ length: 64 }, get));
    expect(bodies).toEqual(Array.from({ length: 64 }, () => 'ok'));
    expect(connections).toBe(64);
    if (canSharePort()) expect({ sockets: listening.sockets, acceptedByOthers: acceptedByOthers > 0 }).toEqual({ sockets: 8, acceptedByOthers: true });
    else expect({ sockets: listening.sockets, acceptedByOthers }).toEqual({ sockets: 1, acceptedByOthers: 0 });
  });

  it('rejects when the port is taken, as a plain listen does', async () => {
    const first = createServer();
    const taken = await listenShared(first, { port: 0, host: '127.0.0.1' });
    stops.push(async () => {
      await Promise.all([new Promise((resolve) => first.close(resolve)), taken.close()]);
    });
    const second = createServer();
    await expect(listenShared(second, { port: taken.port, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
