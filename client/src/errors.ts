/**
 * Codes of the errors this package throws or reports. The server's own codes (`extensions.code`:
 * `UNAUTHENTICATED`, `BAD_USER_INPUT`, `RATE_LIMITED`, …) come through unchanged; the client adds:
 * - `NETWORK`: no node answered (fetch failed, a 5xx, a closed socket);
 * - `SEND_TIMEOUT`: `send` kept failing with retryable errors for its whole `retryForMs`;
 * - `NO_CURSOR`: a `messageReceived` selection without `id`, so the cursor cannot be tracked;
 * - `HANDLER_FAILED`: the app's `onMessage` threw (reported through `onError`; the feed goes on);
 * - `BAD_OPTION`: an option out of range;
 * - `DISPOSED`: the client was disposed;
 * - `TOKEN_REVOKED`: the server disconnected the user (close 4604) and `getToken` returned the same token.
 */
export type SwitchboardErrorCode = 'NETWORK' | 'SEND_TIMEOUT' | 'NO_CURSOR' | 'HANDLER_FAILED' | 'BAD_OPTION' | 'DISPOSED' | 'TOKEN_REVOKED' | (string & {});

/** A coded error. The message says what could not be done, why, and the current value. */
export class SwitchboardClientError extends Error {
  override readonly name = 'SwitchboardClientError';
  /** The server's `extensions.code`, or one of the client's own codes (see {@link SwitchboardErrorCode}). */
  readonly code: SwitchboardErrorCode;
  /** The server's `extensions` when the error came from the server (e.g. `retryAfterMs`). */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(code: SwitchboardErrorCode, message: string, options: { cause?: unknown; extensions?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.extensions = options.extensions ?? {};
  }
}

/** A GraphQL error as it arrives over the wire: nothing is trusted until checked. */
export interface WireError {
  readonly message?: unknown;
  readonly extensions?: { readonly code?: unknown } & Readonly<Record<string, unknown>>;
}

/** The `extensions.code` of the first error that has one, if any. */
export function firstCode(errors: ReadonlyArray<WireError> | undefined): string | undefined {
  for (const error of errors ?? []) {
    const code = error.extensions?.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** A {@link SwitchboardClientError} for the first of a result's GraphQL errors. */
export function fromWireErrors(what: string, errors: ReadonlyArray<WireError>): SwitchboardClientError {
  const first = errors[0];
  const code = firstCode(errors) ?? 'INTERNAL_SERVER_ERROR';
  const message = typeof first?.message === 'string' ? first.message : 'no message';
  return new SwitchboardClientError(code, `${what}: the server answered ${code}: ${message}`, {
    extensions: { ...(first?.extensions ?? {}) },
  });
}
