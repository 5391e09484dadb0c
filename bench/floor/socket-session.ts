import type { WebSocket } from 'ws';
import type { Registry } from './registry.ts';

/** graphql-transport-ws close codes the floor uses (the protocol's own). */
const CLOSE = {
  badRequest: [4400, 'Bad request'],
  unauthorized: [4401, 'Unauthorized'],
  forbidden: [4403, 'Forbidden'],
  duplicateInit: [4429, 'Too many initialisation requests'],
  duplicateId: [4409, 'Subscriber already exists'],
} as const;

/**
 * Just enough graphql-transport-ws for the benchmark: connection_init with
 * `payload.authorization` → connection_ack; subscribe → `next` frames of `messageReceived` (the
 * query is not parsed: the floor serves only that subscription); complete; ping → pong.
 */
export function serveSocket(socket: WebSocket, registry: Registry, verify: (authorization: unknown) => string | undefined): void {
  let userId: string | undefined;
  const removers = new Map<string, () => void>();
  const close = ([code, reason]: readonly [number, string]) => socket.close(code, reason);

  socket.on('message', (data) => {
    let frame: unknown;
    try {
      frame = JSON.parse(String(data));
    } catch {
      close(CLOSE.badRequest);
      return;
    }
    if (typeof frame !== 'object' || frame === null) return close(CLOSE.badRequest);
    const { type, id, payload } = frame as Record<string, unknown>;
    switch (type) {
      case 'connection_init': {
        if (userId !== undefined) return close(CLOSE.duplicateInit);
        const authorization = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)['authorization'] : undefined;
        userId = verify(authorization);
        if (userId === undefined) return close(CLOSE.forbidden);
        socket.send('{"type":"connection_ack"}');
        return;
      }
      case 'subscribe': {
        if (userId === undefined) return close(CLOSE.unauthorized);
        if (typeof id !== 'string' || id === '') return close(CLOSE.badRequest);
        if (removers.has(id)) return close(CLOSE.duplicateId);
        removers.set(id, () => {}); // reserve the id while Redis confirms
        void registry.add(userId, socket, id).then(
          (remove) => {
            if (removers.has(id) && socket.readyState === socket.OPEN) removers.set(id, remove);
            else remove(); // completed or closed meanwhile
          },
          () => socket.close(4500, 'Internal error'),
        );
        return;
      }
      case 'complete': {
        if (typeof id !== 'string') return close(CLOSE.badRequest);
        removers.get(id)?.();
        removers.delete(id);
        return;
      }
      case 'ping':
        socket.send('{"type":"pong"}');
        return;
      case 'pong':
        return;
      default:
        close(CLOSE.badRequest);
    }
  });
  socket.on('close', () => {
    for (const remove of removers.values()) remove();
    removers.clear();
  });
}
