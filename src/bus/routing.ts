/**
 * How messages reach nodes. `user`: one channel per recipient, subscribed by the nodes that hold
 * them. `broadcast`: the design card's one channel, which every node receives (docs/ARCHITECTURE.md).
 */
export type Routing = 'user' | 'broadcast';

/** Every routing mode, for ROUTING's validation. */
export const ROUTINGS: readonly Routing[] = ['user', 'broadcast'];
