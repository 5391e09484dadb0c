import { PresenceDisabledError, type Presence } from './presence.ts';

/**
 * `PRESENCE=off`: sessions cost nothing and every presence read fails with
 * {@link PresenceDisabledError} (clients see `UNAVAILABLE`).
 */
export function createDisabledPresence(): Presence {
  const off = async (): Promise<never> => {
    throw new PresenceDisabledError('Cannot read presence: presence is switched off on this node: PRESENCE=off');
  };
  return {
    async start() {},
    openSession: () => ({ recorded: Promise.resolve(), close() {} }),
    onlineCount: off,
    isOnline: off,
    sessionCount: off,
    watch: off,
    async close() {},
  };
}
