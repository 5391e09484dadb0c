/**
 * How many graphql-ws connections a user holds across the cluster: presence's `sessionCount`
 * (src/presence/). It may throw (presence off or unreachable): the limit then counts this node's.
 */
export type ClusterSocketCount = (userId: string) => Promise<number>;

/** Why a connection was refused. */
export type Refusal = 'node' | 'user';

/** What a user's connection is: a graphql-ws socket or an HTTP subscription stream (SSE). */
export type ConnectionKind = 'socket' | 'stream';

/**
 * Counts this node's connections — WebSockets (from the upgrade on) and SSE streams — and each
 * user's graphql-ws connections and SSE streams, and refuses past `maxConnections` (per node) and
 * `maxConnectionsPerUser` (per user). A user's count is their graphql-ws connections across the
 * cluster (from presence, when given and reachable; else this node's) plus their SSE streams on this
 * node (presence does not track streams, see docs/PRESENCE.md).
 */
export class ConnectionLimits {
  /** Connections open on this node (an object: the node's slots share it). */
  readonly #node = { open: 0 };
  readonly #users = new Map<string, UserCounts>();
  readonly #maxConnections: number;
  readonly #maxPerUser: number;
  readonly #clusterSockets: ClusterSocketCount | undefined;

  constructor(options: { maxConnections: number; maxConnectionsPerUser: number; clusterSockets?: ClusterSocketCount }) {
    this.#maxConnections = options.maxConnections;
    this.#maxPerUser = options.maxConnectionsPerUser;
    this.#clusterSockets = options.clusterSockets;
  }

  get maxConnections(): number {
    return this.#maxConnections;
  }

  get maxConnectionsPerUser(): number {
    return this.#maxPerUser;
  }

  /** Connections open on this node. */
  get open(): number {
    return this.#node.open;
  }

  /** `userId`'s connections on this node (sockets and streams). */
  localCount(userId: string): number {
    const counts = this.#users.get(userId);
    return counts === undefined ? 0 : counts.sockets + counts.streams;
  }

  /** True while one more connection fits on this node (checked before a WebSocket upgrade). */
  hasRoom(): boolean {
    return this.#node.open < this.#maxConnections;
  }

  /** Counts a connection on this node; its slot releases it (once). */
  openConnection(): ConnectionSlot {
    this.#node.open += 1;
    return new NodeSlot(this.#node);
  }

  /**
   * Admits one more connection of `userId`: its slot, to release when it closes, or why not.
   * The count is read before this connection is registered, so concurrent admissions of one user on
   * several nodes may overshoot by the number of nodes racing.
   */
  async admitUser(userId: string, kind: ConnectionKind): Promise<ConnectionSlot | { refused: Refusal }> {
    if ((await this.#userCount(userId)) >= this.#maxPerUser) return { refused: 'user' };
    const counts = this.#users.get(userId) ?? { sockets: 0, streams: 0 };
    const field = kind === 'socket' ? 'sockets' : 'streams';
    counts[field] += 1;
    this.#users.set(userId, counts);
    return new UserSlot(this.#users, userId, counts, field);
  }

  async #userCount(userId: string): Promise<number> {
    const local = this.#users.get(userId) ?? { sockets: 0, streams: 0 };
    if (this.#clusterSockets === undefined) return local.sockets + local.streams;
    try {
      // This node's sockets count before presence records them (a burst on one node).
      return Math.max(await this.#clusterSockets(userId), local.sockets) + local.streams;
    } catch {
      return local.sockets + local.streams;
    }
  }
}

/** One counted connection. A slot is an object, not a closure: a socket keeps it for its whole life. */
export interface ConnectionSlot {
  /** Uncounts the connection; a second call does nothing. */
  release(): void;
}

interface UserCounts {
  sockets: number;
  streams: number;
}

class NodeSlot implements ConnectionSlot {
  readonly #node: { open: number };
  #released = false;

  constructor(node: { open: number }) {
    this.#node = node;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#node.open -= 1;
  }
}

class UserSlot implements ConnectionSlot {
  readonly #users: Map<string, UserCounts>;
  readonly #userId: string;
  readonly #counts: UserCounts;
  readonly #field: keyof UserCounts;
  #released = false;

  constructor(users: Map<string, UserCounts>, userId: string, counts: UserCounts, field: keyof UserCounts) {
    this.#users = users;
    this.#userId = userId;
    this.#counts = counts;
    this.#field = field;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    const counts = this.#counts;
    counts[this.#field] -= 1;
    if (counts.sockets + counts.streams === 0 && this.#users.get(this.#userId) === counts) this.#users.delete(this.#userId);
  }
}
