/** A session the node can close on an administrator's request: a graphql-ws socket or an SSE stream. */
export type SessionKind = 'socket' | 'stream';

/**
 * The node's live sessions per user, for the status heartbeat (connections, users, SSE streams) and
 * for `POST /admin/api/users/{id}/disconnect`. The transports add a session when it is accepted and
 * remove it when it ends; closing is theirs (`close` is their own close: 4604 for a socket).
 */
export class LocalSessions {
  readonly #users = new Map<string, Map<object, { readonly kind: SessionKind; readonly close: () => void }>>();
  #sockets = 0;
  #streams = 0;

  /** Adds a session of `userId`; call the returned function once when it ends. */
  add(userId: string, kind: SessionKind, close: () => void): () => void {
    const key = {};
    let sessions = this.#users.get(userId);
    if (sessions === undefined) this.#users.set(userId, (sessions = new Map()));
    sessions.set(key, { kind, close });
    if (kind === 'socket') this.#sockets += 1;
    else this.#streams += 1;
    return () => {
      const current = this.#users.get(userId);
      if (current?.delete(key) !== true) return;
      if (kind === 'socket') this.#sockets -= 1;
      else this.#streams -= 1;
      if (current.size === 0) this.#users.delete(userId);
    };
  }

  /** Closes every session of `userId` on this node; returns how many it closed. */
  closeUser(userId: string): number {
    const sessions = this.#users.get(userId);
    if (sessions === undefined) return 0;
    const all = [...sessions.values()];
    for (const session of all) session.close();
    return all.length;
  }

  /** How many sessions `userId` has here. */
  sessionsOf(userId: string): number {
    return this.#users.get(userId)?.size ?? 0;
  }

  get sockets(): number {
    return this.#sockets;
  }

  get streams(): number {
    return this.#streams;
  }

  get users(): number {
    return this.#users.size;
  }
}
