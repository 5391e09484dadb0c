import { createRedisLink, type RedisLink } from '../../src/redis/link.ts';
import { silentLogger } from '../../src/util/logger.ts';

/** A Redis link to one standalone server, as `createApp` makes one (the test closes it). */
export function standaloneLink(url: string, commandTimeoutMs = 2000): RedisLink {
  return createRedisLink({ target: { kind: 'standalone', url }, commandTimeoutMs, logger: silentLogger });
}

/**
 * `make(link)` on a link of its own that its `close` closes too: a bus, presence store or limiter
 * tested alone owns its link the way the app does.
 */
export function onOwnLink<T extends { close(): Promise<void> }>(link: RedisLink, make: (link: RedisLink) => T): T {
  const made = make(link);
  const close = made.close.bind(made);
  return Object.assign(made, {
    async close() {
      await close();
      await link.close();
    },
  });
}
