import type { Viewer } from '../auth/verifier.ts';

/**
 * Decides whether `viewer` may see the presence of `userIds` (through `isOnline` or
 * `presenceChanged`); all or nothing, so one lookup can answer a whole list. May be async (a
 * friendship or team lookup). A refusal is a `FORBIDDEN` error; a throw is an unexpected error
 * (masked). `onlineCount` is an aggregate and is open to every authenticated user.
 * Pass one as `createApp(config, { presencePolicy })`.
 */
export type PresencePolicy = (viewer: Viewer, userIds: readonly string[]) => boolean | Promise<boolean>;

/** The default: any authenticated user may see anyone's presence. */
export const anyAuthenticatedUser: PresencePolicy = () => true;
