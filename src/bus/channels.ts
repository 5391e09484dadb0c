/**
 * Every Redis name switchboard uses, in one place. User names carry the hash tag `{u:<id>}` so a
 * user's channel and keys share one Redis Cluster slot (ready for sharded pub/sub).
 */
export const channels = {
  /** `user` routing: one channel per recipient. */
  user: (userId: string) => `sb:{u:${userId}}:msg`,
  /** `broadcast` routing: the design card's one channel for every message. */
  broadcast: 'sb:broadcast',
} as const;
