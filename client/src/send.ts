import { fullJitter, type Backoff } from './backoff.ts';
import { firstCode, fromWireErrors, SwitchboardClientError } from './errors.ts';
import { postGraphQL } from './http.ts';
import { sleepUnless } from './sleep.ts';
import { SwitchboardSendMessageDocument, type SwitchboardMessageFragment } from './operations.generated.ts';
import type { TokenSource } from './token.ts';
import { print } from 'graphql';

/** Options of one `send`. */
export interface SendOptions {
  /** The idempotency key; default a fresh random one. Pass your own to make retries across restarts safe. */
  readonly clientMessageId?: string;
  /** Stops retrying (the send may or may not have gone out). */
  readonly signal?: AbortSignal;
}

/** What {@link sendWithRetries} needs. */
export interface SendRequest {
  readonly toUserId: string;
  readonly body: string;
  readonly options: SendOptions;
  /** The URL for attempt `attempt` (0 first). */
  readonly httpUrl: (attempt: number) => Promise<string>;
  readonly tokens: TokenSource;
  readonly backoff: Backoff;
  readonly retryForMs: number;
  readonly fetchFn?: typeof fetch;
}

const SEND = print(SwitchboardSendMessageDocument);

/** A random idempotency key: `crypto.randomUUID` where it exists (secure contexts), else 16 random bytes. */
function newClientMessageId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Sends once, whatever happens on the way: every attempt carries the same `clientMessageId`, so the
 * server stores and delivers it once however many attempts reach it. Retries `UNAVAILABLE` and
 * network failures with full jitter, `RATE_LIMITED` after its `retryAfterMs`, and
 * `UNAUTHENTICATED` once with a fresh token.
 * @throws SwitchboardClientError: the server's code for a refusal; `SEND_TIMEOUT` after `retryForMs`.
 */
export async function sendWithRetries(request: SendRequest): Promise<SwitchboardMessageFragment> {
  const clientMessageId = request.options.clientMessageId ?? newClientMessageId();
  const variables = { toUserId: request.toUserId, body: request.body, clientMessageId };
  const deadline = Date.now() + request.retryForMs;
  const signal = request.options.signal;
  let reauthenticated = false;
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    let delayMs = fullJitter(request.backoff, attempt);
    try {
      const result = await postGraphQL({
        url: await request.httpUrl(attempt),
        token: await request.tokens.get(),
        request: { query: SEND, variables },
        ...(signal === undefined ? {} : { signal }),
        ...(request.fetchFn === undefined ? {} : { fetchFn: request.fetchFn }),
      });
      const sent = (result.data as { sendMessage?: SwitchboardMessageFragment } | null | undefined)?.sendMessage;
      if (sent !== undefined && sent !== null) return sent;
      const errors = result.errors ?? [];
      const code = firstCode(errors);
      lastError = fromWireErrors('Cannot send message', errors);
      if (code === 'RATE_LIMITED') {
        const retryAfterMs = Number(errors[0]?.extensions?.['retryAfterMs'] ?? 0);
        delayMs = Math.max(0, retryAfterMs) + request.backoff.random() * 50;
      } else if (code === 'UNAUTHENTICATED' && !reauthenticated) {
        reauthenticated = true;
        request.tokens.invalidate();
        delayMs = 0;
      } else if (code !== 'UNAVAILABLE') throw lastError;
    } catch (error) {
      if (signal?.aborted === true) throw error;
      if (!(error instanceof SwitchboardClientError) || error.code !== 'NETWORK') throw error;
      lastError = error;
    }
    if (Date.now() + delayMs > deadline) {
      throw new SwitchboardClientError('SEND_TIMEOUT', `Cannot send message: it kept failing for ${request.retryForMs} ms: last error ${String(lastError)}`, {
        cause: lastError,
        extensions: { clientMessageId },
      });
    }
    await sleepUnless(signal, delayMs);
  }
}
