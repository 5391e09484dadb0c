import { createClient, NetworkError } from 'graphql-sse';
import type { ConnectionEnd } from './close-policy.ts';
import { deferred, toHttpUrl, type Link, type WireSink } from './link.ts';

/** What {@link openSseLink} needs. */
export interface SseLinkOptions {
  readonly url: string;
  readonly token: () => Promise<string>;
  /** A fetch implementation; default the global one. */
  readonly fetchFn?: typeof fetch;
}

/**
 * A {@link Link} over GraphQL over SSE (graphql-sse's distinct connections mode: one HTTP stream per
 * operation, against one URL). The first stream that fails on the network, or that the server cuts
 * (a drain, a dead node), ends the whole link, so every operation moves on together; graphql-sse's
 * own retrying is off. SSE has no ping from the client: liveness rests on the server's keep-alive
 * and on TCP.
 */
export function openSseLink(options: SseLinkOptions): Link {
  const ended = deferred<ConnectionEnd>();
  let over = false;
  const cancels = new Set<() => void>();
  const end = (result: ConnectionEnd) => {
    if (over) return;
    over = true;
    ended.resolve(result);
    for (const cancel of [...cancels]) cancel();
    client.dispose();
  };
  const client = createClient({
    url: toHttpUrl(options.url),
    headers: async () => ({ authorization: `Bearer ${await options.token()}` }),
    retryAttempts: 0,
    ...(options.fetchFn === undefined ? {} : { fetchFn: options.fetchFn }),
  });
  return {
    httpUrl: toHttpUrl(options.url),
    ready: Promise.resolve(),
    ended: ended.promise,
    subscribe(request, sink: WireSink) {
      if (over) return () => {};
      let done = false;
      const cancel = client.subscribe(request, {
        next: (result) => sink.next(result as never),
        error: (error) => {
          done = true;
          cancels.delete(cancel);
          if (error instanceof NetworkError) {
            const status = error.response?.status;
            // 401/403 answer like graphql-ws's 4403; any other failure is a node or network problem.
            end(status === 401 || status === 403 ? { code: 4403, reason: `HTTP ${status}` } : { code: 1006, reason: error.message });
          } else if (Array.isArray(error)) sink.next({ errors: error as never });
          else end({ code: 1006, reason: error instanceof Error ? error.message : String(error) });
        },
        complete: () => {
          done = true;
          cancels.delete(cancel);
          if (!over) sink.complete();
        },
      });
      cancels.add(cancel);
      return () => {
        if (!done) cancel();
        cancels.delete(cancel);
      };
    },
    close(code, reason) {
      end({ code, reason });
    },
  };
}
