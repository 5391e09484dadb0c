/** A session the node can close on an administrator's request: a graphql-ws socket or an SSE stream. */
export type SessionKind = 'socket' | 'stream';

/** A session as the node's list holds it: an object the transport keeps anyway (no closure per session). */
export interface LocalSession {
  readonly kind: SessionKind;
  /** Ends the session on an administrator's request: the transport's own close (4604 for a socket). */
  disconnect(): void;
}

/**
 * The node's live sessions per user, for the status heartbeat (connections, users, SSE streams) and
 * for `POST /admin/api/users/{id}/disconnect`. The transports add a session when it is accepted and
 * remove it when it ends. A user with one session (the common case) is held as that session, a
 * user with more as a set of them.
 */
export class LocalSessions {
  readonly #users = new Map<string, LocalSession | Set<LocalSession>>();
  #sockets = 0;
  #streams = 0;

  /** Adds a session of `userId`; {@link remove} it once it ends. */
  add(userId: string, session: LocalSession): void {
    const held = this.#users.get(userId);
    if (held === session || (held instanceof Set && held.has(session))) return;
    if (held === undefined) this.#users.set(userId, session);
    else if (held instanceof Set) held.add(session);
    else this.#users.set(userId, new Set([held, session]));
    this.#count(session, 1);
  }

  /** Removes a session {@link add} added; a second call does nothing. */
  remove(userId: string, session: LocalSession): void {
    const held = this.#users.get(userId);
    if (held === session) {
      this.#users.delete(userId);
    } else if (held instanceof Set && held.delete(session)) {
      if (held.size === 0) this.#users.delete(userId);
    } else {
      return;
    }
    this.#count(session, -1);
  }

  /** Closes every session of `userId` on this node; returns how many it closed. */
  closeUser(userId: string): number {
    const all = this.#sessionsOf(userId);
    for (const session of all) session.disconnect();
    return all.length;
  }

  /** How many sessions `userId` has here. */
  sessionsOf(userId: string): number {
    return this.#sessionsOf(userId).length;
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

  #sessionsOf(userId: string): LocalSession[] {
    const held = this.#users.get(userId);
    if (held === undefined) return [];
    return held instanceof Set ? [...held] : [held];
  }

  #count(session: LocalSession, delta: number): void {
    if (session.kind === 'socket') this.#sockets += delta;
    else this.#streams += delta;
  }
}
