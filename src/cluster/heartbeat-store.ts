import type { NodeStatus } from './node-status.ts';

/**
 * Where nodes leave their heartbeats for each other: in memory for the embedded single node, in
 * Redis (`redis-heartbeat-store.ts`) for a cluster. Every node writes its own and reads them all.
 */
export interface HeartbeatStore {
  /** Records this node's latest heartbeat. @throws when the store did not take it (Redis down). */
  write(status: NodeStatus): Promise<void>;
  /** Every heartbeat recorded, however old (the board decides who is live). @throws when unreadable. */
  readAll(): Promise<NodeStatus[]>;
  /** Forgets nodes (one that stopped, or one silent for long). Never throws. */
  remove(ids: readonly string[]): Promise<void>;
}

/** The embedded default's store: this process's nodes only. */
export function createMemoryHeartbeatStore(): HeartbeatStore {
  const statuses = new Map<string, NodeStatus>();
  return {
    async write(status) {
      statuses.set(status.id, status);
    },
    async readAll() {
      return [...statuses.values()];
    },
    async remove(ids) {
      for (const id of ids) statuses.delete(id);
    },
  };
}
