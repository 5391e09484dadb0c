import { SmallSet } from '../util/small-set.ts';

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
 * remove it when it ends.
 */
export class LocalSessions {
  readonly #users = new Map<string, SmallSet<LocalSession>>();
  #sockets = 0;
  #streams = 0;

  /** Adds a session of `userId`; {@link remove} it once it ends. */
  add(userId: string, session: LocalSession): void {
    let sessions = this.#users.get(userId);
    if (sessions === undefined) this.#users.set(userId, (sessions = new SmallSet()));
    if (sessions.has(session)) return;
    sessions.add(session);
    this.#count(session, 1);
  }

  /** Removes a session {@link add} added; a second call does nothing. */
  remove(userId: string, session: LocalSession): void {
    const sessions = this.#users.get(userId);
    if (sessions?.delete(session) !== true) return;
    if (sessions.size === 0) this.#users.delete(userId);
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
    return [...(this.#users.get(userId) ?? [])];
  }

  #count(session: LocalSession, delta: number): void {
    if (session.kind === 'socket') this.#sockets += delta;
    else this.#streams += delta;
  }
}
