import type { Message } from '../domain/message.ts';
import type { Bus, Deliver } from './bus.ts';

/**
 * The embedded single-node bus: publishing is a direct, synchronous hand-over to this process's hub,
 * so order is the order of `publish` calls. No Redis, no configuration.
 */
export function createMemoryBus(): Bus {
  let deliver: Deliver | undefined;
  return {
    async start(onMessage) {
      deliver = onMessage;
    },
    async publish(message: Message) {
      deliver?.(message);
    },
    async attach() {},
    async detach() {},
    async close() {
      deliver = undefined;
    },
  };
}
