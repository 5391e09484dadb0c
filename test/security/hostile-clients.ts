import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { waitFor } from '../helpers/wait-for.ts';

/** What a hostile request came to: a close code, or the first error's code (and HTTP status). */
export interface Outcome {
  readonly close?: number;
  readonly status?: number;
  readonly code?: string | undefined;
  readonly limit?: string | undefined;
  /** Whether the first error's message offers "Did you mean" (field suggestions). */
  readonly suggests?: boolean;
}

/** A raw graphql-transport-ws socket: sends what it is told, records every frame and the close. */
export interface RawSocket {
  readonly socket: WebSocket;
  readonly frames: unknown[];
  /** Resolves with the close code (or 'error' when the handshake failed). */
  readonly closed: Promise<number>;
  send(data: string | Buffer, options?: { binary?: boolean }): void;
  /** Sends connection_init and waits for connection_ack. */
  init(payload: unknown): Promise<void>;
}

/** Opens a raw socket to `url` (subprotocol graphql-transport-ws unless `protocol` says otherwise). */
export async function rawSocket(url: string, options: { protocol?: string | null; headers?: Record<string, string> } = {}): Promise<RawSocket> {
  const protocol = options.protocol === undefined ? 'graphql-transport-ws' : options.protocol;
  const socket = new WebSocket(url, protocol === null ? [] : [protocol], { headers: options.headers ?? {} });
  const frames: unknown[] = [];
  socket.on('message', (data) => {
    try {
      frames.push(JSON.parse(String(data)));
    } catch {
      frames.push(String(data));
    }
  });
  const closed = new Promise<number>((resolve) => {
    socket.once('close', (code) => resolve(code));
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', () => resolve(-1));
  });
  await new Promise<void>((resolve) => {
    socket.once('open', () => resolve());
    void closed.then(() => resolve());
  });
  const raw: RawSocket = {
    socket,
    frames,
    closed,
    send: (data, sendOptions = {}) => socket.send(data, { binary: sendOptions.binary ?? false }),
    async init(payload) {
      raw.send(JSON.stringify({ type: 'connection_init', payload }));
      await waitFor('connection_ack', () => frames.some((frame) => (frame as { type?: string }).type === 'connection_ack'), { timeoutMs: 5000 });
    },
  };
  return raw;
}

/** Sends `frames` on a fresh raw socket (after an authenticated init when `payload` is given) and returns the close code. */
export async function closeCodeAfter(
  url: string,
  frames: Array<string | { binary: Buffer }>,
  options: { init?: unknown; protocol?: string | null; headers?: Record<string, string> } = {},
): Promise<Outcome> {
  const raw = await rawSocket(url, options);
  if (options.init !== undefined) await raw.init(options.init);
  for (const frame of frames) {
    if (typeof frame === 'string') raw.send(frame);
    else raw.send(frame.binary, { binary: true });
  }
  const code = await Promise.race([raw.closed, new Promise<number>((resolve) => setTimeout(() => resolve(0), 8000))]);
  raw.socket.terminate();
  return { close: code };
}

type ErrorJson = { message?: string; extensions?: { code?: string; limit?: string } };

/** The telling error of a response: one naming a limit, else a FORBIDDEN one, else the first. */
function firstError(errors: unknown): Outcome {
  const list = (Array.isArray(errors) ? errors : []) as ErrorJson[];
  const first =
    list.find((error) => error.extensions?.limit !== undefined) ?? list.find((error) => error.extensions?.code === 'FORBIDDEN') ?? list[0];
  return {
    code: first?.extensions?.code,
    ...(first?.extensions?.limit === undefined ? {} : { limit: first.extensions.limit }),
    suggests: /Did you mean/u.test(first?.message ?? ''),
  };
}

/** POSTs `body` (JSON-encoded unless a string) and returns the status and the first error. */
export async function httpOutcome(
  url: string,
  body: unknown,
  options: { token?: string; headers?: Record<string, string>; method?: string } = {},
): Promise<Outcome> {
  const response = await fetch(url, {
    method: options.method ?? 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    ...(options.method === 'GET' ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: { errors?: unknown } = {};
  try {
    json = JSON.parse(text) as { errors?: unknown };
  } catch {
    // a bare status (415) has no body
  }
  return { status: response.status, ...firstError(json.errors) };
}

/** Runs an operation over GraphQL over SSE and returns the first error of the first `next` event. */
export async function sseOutcome(url: string, body: unknown, token?: string): Promise<Outcome> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const json = (await response.json().catch(() => ({}))) as { errors?: unknown };
    return { status: response.status, ...firstError(json.errors) };
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { code: 'STREAM_ENDED' };
      buffer += decoder.decode(value, { stream: true });
      const match = /event: next\ndata: (.*)\n\n/u.exec(buffer);
      if (match?.[1] !== undefined) return firstError((JSON.parse(match[1]) as { errors?: unknown }).errors);
    }
  } finally {
    controller.abort();
  }
}

/** Runs an operation over graphql-ws with the official client and returns the first error. */
export async function wsOutcome(wsUrl: string, body: { query: string; variables?: Record<string, unknown> }, token: string): Promise<Outcome> {
  let closeCode: number | undefined;
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
    on: { closed: (event) => void (closeCode = (event as { code?: number }).code) },
  });
  try {
    return await new Promise<Outcome>((resolve) => {
      client.subscribe(body, {
        next: (result) => {
          if (result.errors !== undefined) resolve(firstError(result.errors));
        },
        error: (error) => resolve(Array.isArray(error) ? firstError(error) : { close: closeCode ?? -1 }),
        complete: () => resolve({ code: 'COMPLETED' }),
      });
    });
  } finally {
    await client.dispose();
  }
}
