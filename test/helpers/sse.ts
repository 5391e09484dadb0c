/** An open GraphQL-over-SSE subscription; `events` holds each `next` payload parsed. */
export interface SseStream {
  readonly events: unknown[];
  close(): void;
}

/**
 * Starts a subscription over SSE (distinct connections mode, as graphql-yoga serves it) and parses
 * `event: next` frames as they arrive.
 */
export async function readSse(url: string, query: string, token: string | undefined): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ query }),
    signal: controller.signal,
  });
  if (response.body === null) throw new Error(`SSE response has no body: status ${response.status}`);
  const events: unknown[] = [];
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = frame.split('\n');
          if (!lines.includes('event: next')) continue;
          const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
          events.push(JSON.parse(data));
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return { events, close: () => controller.abort() };
}
