import type { Duplex } from 'node:stream';

/**
 * Paces WebSocket upgrades on the Node host: at most `perTurn` queued upgrades are completed per
 * event-loop turn, in arrival order; the others wait, their sockets open, for the next turns.
 *
 * Why: in a reconnect storm the kernel hands the node thousands of upgrade requests at once, and
 * node:http emits every one that arrived within the same turn. Completed together, their
 * handshakes and the `connection_init` and `subscribe` frames that follow filled turns of hundreds
 * of milliseconds: messages to users already on the node waited that long behind them, and while a
 * turn ran nothing accepted connections, so the kernel's accept queue overflowed and dropped more
 * (clients saw 1006 and came back later). Paced, a turn holds a bounded share of new-socket work and
 * everything else runs between.
 *
 * A queued socket that closes (the client gave up) is skipped; an error on it while it waits is
 * swallowed, as ws swallows one during its handshake.
 */
export class UpgradePacer {
  readonly #perTurn: number;
  #queue: Array<{ readonly socket: Duplex; readonly upgrade: () => void }> = [];
  #next = 0;
  #scheduled = false;

  constructor(perTurn: number) {
    this.#perTurn = perTurn;
  }

  /** Upgrades waiting for a turn. */
  get waiting(): number {
    return this.#queue.length - this.#next;
  }

  /** Runs `upgrade` (the handshake of `socket`) on a coming turn, unless the socket has closed by then. */
  submit(socket: Duplex, upgrade: () => void): void {
    socket.on('error', ignore);
    this.#queue.push({ socket, upgrade });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#turn);
    }
  }

  readonly #turn = (): void => {
    this.#scheduled = false;
    const end = Math.min(this.#queue.length, this.#next + this.#perTurn);
    for (; this.#next < end; this.#next++) {
      const { socket, upgrade } = this.#queue[this.#next] as { socket: Duplex; upgrade: () => void };
      socket.off('error', ignore);
      if (!socket.destroyed) upgrade();
    }
    if (this.#next === this.#queue.length) {
      this.#queue = [];
      this.#next = 0;
    } else {
      // Drop what was served, so a long storm does not keep every served socket referenced.
      if (this.#next >= COMPACT_AFTER) {
        this.#queue = this.#queue.slice(this.#next);
        this.#next = 0;
      }
      this.#scheduled = true;
      setImmediate(this.#turn);
    }
  };
}

/** Served entries at the head of the queue past which it is compacted. */
const COMPACT_AFTER = 1024;

function ignore(): void {}
