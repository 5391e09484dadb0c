import type { LocalSessions } from './local-sessions.ts';

/**
 * What an administrator asks every node about one user: `count` its sessions there, or `disconnect`
 * them (sockets closed with 4604, SSE streams ended).
 */
export type ControlAction = 'count' | 'disconnect';

/** Each answering node's count (sessions counted or closed), and the live nodes that did not answer in time. */
export interface ControlOutcome {
  readonly total: number;
  readonly nodes: ReadonlyArray<{ readonly nodeId: string; readonly count: number }>;
  readonly unanswered: readonly string[];
}

/** Administrators' requests that every node carries out on its own sessions (`/admin/api/users/…`). */
export interface ClusterControl {
  start(): Promise<void>;
  /**
   * Carries out `action` for `userId` on every node and resolves once each of `nodes` (the live
   * nodes) answered, or after the answer timeout.
   * @throws when the request could not be sent (Redis down).
   */
  ask(action: ControlAction, userId: string, nodes: readonly string[]): Promise<ControlOutcome>;
  close(): Promise<void>;
}

/** What `action` does on this node's sessions; returns the count it answers with. */
export function carryOut(sessions: LocalSessions, action: ControlAction, userId: string): number {
  return action === 'disconnect' ? sessions.closeUser(userId) : sessions.sessionsOf(userId);
}

/** The embedded single node: the request is carried out here, and only here. */
export function createLocalControl(nodeId: string, sessions: LocalSessions): ClusterControl {
  return {
    async start() {},
    async ask(action, userId) {
      const count = carryOut(sessions, action, userId);
      return { total: count, nodes: [{ nodeId, count }], unanswered: [] };
    },
    async close() {},
  };
}
