import { createClient } from 'graphql-ws';
import { TERMINATED_CODE, type ConnectionEnd } from './close-policy.ts';
import type { WireError } from './errors.ts';
import { deferred, toHttpUrl, toWsUrl, type Link, type WireSink } from './link.ts';

/** Liveness of a WebSocket: how often the client pings, and how long it waits for the pong. */
export interface LivenessOptions {
  /** Ping the server this often. Default 10,000 ms. */
  readonly pingIntervalMs?: number;
  /** No pong within this after a ping: the connection is dead (no FIN needed), terminate it. Default 5,000 ms. */
  readonly pongTimeoutMs?: number;
  /** No `connection_ack` within this after connecting: terminate. Default 10,000 ms. */
  readonly connectTimeoutMs?: number;
}

/** What {@link openWebSocketLink} needs. */
export interface WebSocketLinkOptions {
  readonly url: string;
  /** The bearer token for `connection_init`. */
  readonly token: () => Promise<string>;
  readonly liveness: Required<LivenessOptions>;
  /** A WebSocket constructor (e.g. `ws` on Node 20); default the global one. */
  readonly webSocketImpl?: unknown;
}

const closeOf = (event: unknown): ConnectionEnd => {
  const { code, reason } = (event ?? {}) as { code?: unknown; reason?: unknown };
  return { code: typeof code === 'number' ? code : 1006, reason: typeof reason === 'string' ? reason : String(reason ?? '') };
};

/**
 * A {@link Link} over one graphql-ws socket. graphql-ws's own retrying is off: the switchboard
 * client decides when and where to reconnect, and resumes each operation with fresh variables.
 */
export function openWebSocketLink(options: WebSocketLinkOptions): Link {
  const ready = deferred<void>();
  const ended = deferred<ConnectionEnd>();
  let over = false;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let connectTimer: ReturnType<typeof setTimeout> | undefined;
  const end = (result: ConnectionEnd) => {
    if (over) return;
    over = true;
    clearTimeout(pongTimer);
    clearTimeout(connectTimer);
    ended.resolve(result);
    // dispose() awaits the connection attempt, which rejects when the socket closed before the ack.
    Promise.resolve(client.dispose()).catch(() => {});
  };
  const client = createClient({
    url: toWsUrl(options.url),
    ...(options.webSocketImpl === undefined ? {} : { webSocketImpl: options.webSocketImpl }),
    lazy: false,
    retryAttempts: 0,
    shouldRetry: () => false,
    keepAlive: options.liveness.pingIntervalMs,
    connectionAckWaitTimeout: options.liveness.connectTimeoutMs,
    connectionParams: async () => ({ authorization: `Bearer ${await options.token()}` }),
    // A socket that could not even be created (a bad URL, no WebSocket) ends here; a close, below.
    onNonLazyError: (error) => end(closeOf(error)),
    on: {
      connected: () => {
        clearTimeout(connectTimer);
        ready.resolve();
      },
      // A failed socket emits `error` and then `closed` with its code; the code is what counts.
      closed: (event) => end(closeOf(event)),
      ping: (received) => {
        if (received || pongTimer !== undefined) return;
        pongTimer = setTimeout(() => {
          // No pong in time: the peer or the path is gone without a FIN. `terminate` ends the
          // socket at once instead of waiting for a close handshake that will never come.
          end({ code: TERMINATED_CODE, reason: `no pong within ${options.liveness.pongTimeoutMs} ms` });
          client.terminate();
        }, options.liveness.pongTimeoutMs);
      },
      pong: (received) => {
        if (!received) return;
        clearTimeout(pongTimer);
        pongTimer = undefined;
      },
    },
  });
  connectTimer = setTimeout(() => {
    end({ code: TERMINATED_CODE, reason: `not connected within ${options.liveness.connectTimeoutMs} ms` });
    client.terminate();
  }, options.liveness.connectTimeoutMs);

  return {
    httpUrl: toHttpUrl(options.url),
    ready: ready.promise,
    ended: ended.promise,
    subscribe(request, sink: WireSink) {
      if (over) return () => {};
      return client.subscribe(request, {
        next: (result) => sink.next(result as never),
        // An error frame carries GraphQL errors; a close event means the socket ended (see `ended`).
        error: (error) => {
          if (Array.isArray(error)) sink.next({ errors: error as WireError[] });
        },
        complete: () => {
          if (!over) sink.complete();
        },
      });
    },
    close(code, reason) {
      if (over) return;
      end({ code, reason });
      client.terminate();
    },
  };
}
