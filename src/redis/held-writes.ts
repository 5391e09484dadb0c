import { isCluster, type RedisConnection } from './connection.ts';

/** What a held socket needs: Node's `Writable` cork and uncork (ioredis' socket on Node and on Deno). */
interface Corkable {
  readonly writable: boolean;
  cork(): void;
  uncork(): void;
}

/**
 * Holds the commands a connection writes until the end of the event loop's turn, so that the
 * commands of every request handled in one turn reach Redis in one write instead of one each.
 *
 * ioredis writes each command to its socket as it is issued: under load, one `write` system call per
 * `sendMessage`, which on loopback also runs Redis' side of TCP, and was about an eighth of a node's
 * CPU (BENCHMARKS.md, "Issue 24, round four"). Here the socket is corked at the turn's first held
 * command and uncorked in `setImmediate`, after the turn's I/O callbacks and their promise jobs
 * have run: Node then writes everything corked with one `writev`. Nothing else changes: each
 * command is still an ordinary ioredis command with its own reply, timeout and error; only the
 * moment its bytes leave is at most one turn later.
 *
 * A Redis Cluster connection is not held: its commands go to their slot's primary, each node its own
 * socket. Returns the function to call right before issuing the commands to hold.
 */
export function holdWrites(connection: RedisConnection): () => void {
  if (isCluster(connection)) return () => {};
  let held: Corkable | undefined;
  const release = () => {
    const socket = held;
    held = undefined;
    socket?.uncork();
  };
  return () => {
    if (held !== undefined || connection.status !== 'ready') return;
    // Each (re)connect makes a new socket; hold the one this turn's commands are written to.
    const socket = connection.stream as Corkable | undefined;
    if (socket === undefined || !socket.writable) return;
    socket.cork();
    held = socket;
    setImmediate(release);
  };
}
