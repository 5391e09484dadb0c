import { clusterNames } from '../redis/keys.ts';
import type { RedisLink } from '../redis/link.ts';
import { errorMessage } from '../util/error-message.ts';
import type { Logger } from '../util/logger.ts';
import { carryOut, type ClusterControl, type ControlAction, type ControlOutcome } from './cluster-control.ts';
import type { LocalSessions } from './local-sessions.ts';

export interface RedisControlOptions {
  readonly link: RedisLink;
  readonly nodeId: string;
  readonly sessions: LocalSessions;
  readonly logger: Logger;
  /** How long the asking node waits for the others' answers. Default 2000 ms. */
  readonly answerTimeoutMs?: number;
}

type ControlMessage =
  | { readonly type: 'request'; readonly action: ControlAction; readonly requestId: string; readonly userId: string }
  | { readonly type: 'answer'; readonly requestId: string; readonly nodeId: string; readonly count: number };

function asControlMessage(value: unknown): ControlMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const message = value as Record<string, unknown>;
  if (typeof message['requestId'] !== 'string') return undefined;
  const action = message['action'];
  if (message['type'] === 'request' && (action === 'count' || action === 'disconnect') && typeof message['userId'] === 'string') {
    return message as ControlMessage;
  }
  if (message['type'] === 'answer' && typeof message['nodeId'] === 'string' && typeof message['count'] === 'number') return message as ControlMessage;
  return undefined;
}

/**
 * Cluster-wide requests over one classic pub/sub channel (`sb:{cluster}:control`) on the node's link:
 * a request reaches every node (the asking one too, through the same channel), each carries it out on
 * its own sessions and publishes how many it closed; the asker collects the answers of the nodes it
 * knows are live. Nothing is retried: a node that misses a request (its subscription was down) shows
 * in `unanswered`, and the administrator asks again.
 */
export function createRedisControl(options: RedisControlOptions): ClusterControl {
  const { link, nodeId, sessions, logger } = options;
  const timeoutMs = options.answerTimeoutMs ?? 2000;
  const waiting = new Map<string, (answer: { nodeId: string; count: number }) => void>();
  const publish = (message: ControlMessage) => link.commands.publish(clusterNames.control, JSON.stringify(message));

  const onMessage = (payload: unknown) => {
    const message = asControlMessage(payload);
    if (message === undefined) return;
    if (message.type === 'answer') {
      waiting.get(message.requestId)?.({ nodeId: message.nodeId, count: message.count });
      return;
    }
    const count = carryOut(sessions, message.action, message.userId);
    if (message.action === 'disconnect' && count > 0) logger.info({ userId: message.userId, closed: count }, 'admin: closed the user’s sessions on this node');
    publish({ type: 'answer', requestId: message.requestId, nodeId, count }).catch((error: unknown) =>
      logger.warn({ err: errorMessage(error), action: message.action }, 'admin: could not answer a cluster request'),
    );
  };
  const subscriber = link.subscriber('classic', { suspend() {}, resync() {} });

  return {
    async start() {
      await link.start();
      await subscriber.subscribe(clusterNames.control, onMessage);
    },
    async ask(action, userId, nodes) {
      const requestId = crypto.randomUUID();
      const answers = new Map<string, number>();
      const expected = new Set(nodes);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = new Promise<void>((resolve) => {
        waiting.set(requestId, (answer) => {
          answers.set(answer.nodeId, answer.count);
          if ([...expected].every((id) => answers.has(id))) resolve();
        });
        timer = setTimeout(resolve, timeoutMs);
      });
      try {
        await publish({ type: 'request', action, requestId, userId });
        await done;
      } finally {
        clearTimeout(timer);
        waiting.delete(requestId);
      }
      const answered = [...answers].map(([id, count]) => ({ nodeId: id, count })).sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
      const outcome: ControlOutcome = {
        total: answered.reduce((total, answer) => total + answer.count, 0),
        nodes: answered,
        unanswered: [...expected].filter((id) => !answers.has(id)).sort(),
      };
      return outcome;
    },
    async close() {
      await subscriber.unsubscribe(clusterNames.control);
    },
  };
}
