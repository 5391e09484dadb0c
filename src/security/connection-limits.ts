/**
 * How many connections a user holds across the cluster. The default counts this node only; with
 * presence (src/presence/) the service plugs in its cluster-wide `sessionCount`.
 */
export type UserConnectionCount = (userId: string) => Promise<number>;

/** Why a connection was refused. */
export type Refusal = 'node' | 'user';

/**
 * Counts this node's connections — WebSockets (from the upgrade on) and SSE streams — and each
 * user's graphql-ws connections and SSE streams, and refuses past `maxConnections` (per node) and
 * `maxConnectionsPerUser` (per user; cluster-wide when a {@link UserConnectionCount} is given).
 */
export class ConnectionLimits {
  #open = 0;
  readonly #users = new Map<string, number>();
  readonly #maxConnections: number;
  readonly #maxPerUser: number;
  readonly #userCount: UserConnectionCount;

  constructor(options: { maxConnections: number; maxConnectionsPerUser: number; userCount?: UserConnectionCount }) {
    this.#maxConnections = options.maxConnections;
    this.#maxPerUser = options.maxConnectionsPerUser;
    this.#userCount = options.userCount ?? (async (userId) => this.localCount(userId));
  }

  get maxConnections(): number {
    return this.#maxConnections;
  }

  get maxConnectionsPerUser(): number {
    return this.#maxPerUser;
  }

  /** Connections open on this node. */
  get open(): number {
    return this.#open;
  }

  /** `userId`'s connections on this node. */
  localCount(userId: string): number {
    return this.#users.get(userId) ?? 0;
  }

  /** True while one more connection fits on this node (checked before a WebSocket upgrade). */
  hasRoom(): boolean {
    return this.#open < this.#maxConnections;
  }

  /** Counts a connection on this node; returns its release (idempotent). */
  openConnection(): () => void {
    this.#open += 1;
    return once(() => (this.#open -= 1));
  }

  /**
   * Admits one more connection of `userId`: a release (idempotent) to call when it closes, or why not.
   * The count is read before this connection is registered, so concurrent admissions of one user on
   * several nodes may overshoot by the number of nodes racing.
   */
  async admitUser(userId: string): Promise<{ release: () => void } | { refused: Refusal }> {
    if ((await this.#userCount(userId)) >= this.#maxPerUser) return { refused: 'user' };
    this.#users.set(userId, this.localCount(userId) + 1);
    return {
      release: once(() => {
        const left = this.localCount(userId) - 1;
        if (left > 0) this.#users.set(userId, left);
        else this.#users.delete(userId);
      }),
    };
  }
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}
