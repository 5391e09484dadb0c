/**
 * Every Redis name switchboard uses, in one place. User names carry the hash tag `{u:<id>}` so a
 * user's channel and keys share one Redis Cluster slot (ready for sharded pub/sub), and one script can
 * touch them atomically.
 */
export const channels = {
  /** `user` routing: one channel per recipient. */
  user: (userId: string) => `sb:{u:${userId}}:msg`,
  /** `broadcast` routing: the design card's one channel for every message. */
  broadcast: 'sb:broadcast',
} as const;

export const keys = {
  /** The recipient's history: a stream whose entry ids are the message ids. */
  history: (userId: string) => `sb:{u:${userId}}:inbox`,
  /** The newest id retention dropped from the history (cursors before it are expired). */
  trimmed: (userId: string) => `sb:{u:${userId}}:trimmed`,
  /** With REDIS_WAIT_REPLICAS: the newest history id published (later ones wait for their replicas). */
  published: (userId: string) => `sb:{u:${userId}}:published`,
  /** Remembers the first result of an idempotent send (sender + clientMessageId, per recipient). */
  sent: (toUserId: string, fromUserId: string, clientMessageId: string) =>
    `sb:{u:${toUserId}}:sent:${JSON.stringify([fromUserId, clientMessageId])}`,
  /** The sender's sendMessage token bucket (send-rate/redis-send-rate.ts). */
  sendRate: (userId: string) => `sb:{u:${userId}}:rate:send`,
  /** Written and deleted once at start by the permission check (`permissions.ts`). */
  permissionProbe: 'sb:{permission-probe}',
  /** Published on once at start by the permission check; it shares the probe key's slot (SPUBLISH). */
  permissionProbeChannel: 'sb:{permission-probe}:msg',
} as const;

/**
 * Presence names (`presence/redis-store.ts`, `presence/redis-scripts.ts`). They share the hash tag
 * `{presence}`: the online count and every lease live in one slot, so each presence script is atomic.
 */
export const presenceNames = {
  /** Presence changes; every node subscribes. */
  events: 'sb:{presence}:events',
  /** Node leases: a ZSET of lease id → expiry (epoch ms, Redis clock). */
  leases: 'sb:{presence}:nodes',
  /** One lease's share: user → live sessions on that node ('0' while in the grace period). */
  share: (leaseId: string) => `sb:{presence}:node:${leaseId}`,
  /** user → number of leases holding them; HLEN is the online count. */
  online: 'sb:{presence}:online',
  /** user → live sessions cluster-wide. */
  sessions: 'sb:{presence}:sessions',
  /** The event sequence. */
  seq: 'sb:{presence}:seq',
} as const;

/**
 * Cluster status names (`cluster/`). One hash tag, `{cluster}`: the heartbeats are one hash in one
 * slot; the control channel is classic pub/sub, which a Redis Cluster copies to every Redis node.
 */
export const clusterNames = {
  /** node id → its latest heartbeat (JSON). */
  nodes: 'sb:{cluster}:nodes',
  /** Administrators' requests to every node (disconnect a user) and the nodes' answers. */
  control: 'sb:{cluster}:control',
} as const;
