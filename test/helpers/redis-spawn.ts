import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './children.ts';
import { freePort } from '../../bench/lib/free-port.ts';
import { waitFor } from './wait-for.ts';

/** A `redis-server` with arguments of the test's choosing (a password, TLS, replica of …). */
export interface SpawnedRedis {
  /** The port clients connect to (the TLS port with `tls`). */
  readonly port: number;
  /** SIGKILLs it and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` on a free port with `args` added (with `tls: true` the free port is its
 * `--tls-port` and the plain port is off); resolves once the port accepts connections.
 */
export async function spawnRedis(args: readonly string[], options: { tls?: boolean } = {}): Promise<SpawnedRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-redis-'));
  const ports = options.tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
  const child = track(spawn('redis-server', [...ports, '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...args], { stdio: 'ignore' }));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await waitFor(`redis-server on port ${port}`, () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    return accepts(port);
  });
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
