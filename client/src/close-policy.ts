import { fullJitter, type Backoff } from './backoff.ts';

/** Why a connection ended: a WebSocket close (code and reason), or a failure without one. */
export interface ConnectionEnd {
  /** The close code; 1006 when the connection failed without a close frame (SSE: a network error). */
  readonly code: number;
  readonly reason: string;
}

/** What the client does next after a connection ended. */
export interface NextStep {
  /** Wait this long before reconnecting. */
  readonly delayMs: number;
  /** Fetch a fresh token before reconnecting. */
  readonly reauthenticate: boolean;
  /** Try the next URL of a list instead of the same one. */
  readonly nextUrl: boolean;
  /** The close code means a client-side problem that retrying will not fix on its own. */
  readonly suspicious: boolean;
  /** The server revoked the token (4604): reconnect only with a different one, else stop. */
  readonly revoked: boolean;
}

/** The server's close when an administrator disconnected every session of the user (SECURITY.md). */
export const DISCONNECTED_BY_ADMIN_CODE = 4604;

/** Close code the client uses itself when it replaces a connection to present a fresh token. */
export const TOKEN_REFRESH_CODE = 4001;
/** graphql-ws's code for a socket the client terminated (here: no pong within the deadline). */
export const TERMINATED_CODE = 4499;

const RETRY_HINT = /retry in (\d+) ?ms/iu;

/**
 * The client's answer to every close code the server documents (SECURITY.md) and to the ones the
 * client makes itself. `attempt` counts consecutive failed connections (0 for the first);
 * `forbiddenInARow` counts consecutive 4403 closes.
 *
 * | Code | Meaning | Next step |
 * | --- | --- | --- |
 * | 1001 | node draining or restarting | next URL after a random 0..initialMs (a drained node's clients spread out) |
 * | 4001 | (client) token refresh | at once, same URL |
 * | 4403 | token refused or expired | fresh token, at once the first time, then backoff |
 * | 4601 | slow consumer | resume after a short jittered wait |
 * | 4602 | too many connections for this user | wait at least half the maximum: do not hammer |
 * | 4604 | an administrator disconnected the user | a fresh token (not the same one, else stop), after a short jittered wait |
 * | 1013 | try again later (admission control) | backoff, at least the "retry in N ms" hint |
 * | 4400, 4406, 4409, 4429, 1002, 1003, 1009 | the client broke the protocol | the maximum wait, flagged |
 * | 1006, 4499, 4500, 4408, 1011, others | node gone, stalled, failed | backoff with full jitter, next URL |
 */
export function nextStep(end: ConnectionEnd, attempt: number, forbiddenInARow: number, backoff: Backoff): NextStep {
  const step = (delayMs: number, more: Partial<NextStep> = {}): NextStep => ({
    delayMs: Math.max(0, Math.round(delayMs)),
    reauthenticate: false,
    nextUrl: true,
    suspicious: false,
    revoked: false,
    ...more,
  });
  switch (end.code) {
    case 1001:
      // Every client of the drained node gets this at once: spread them over the first backoff window
      // (0..initialMs, 500 ms by default) rather than all arriving at the next node in the same instant.
      return step(fullJitter(backoff, attempt));
    case TOKEN_REFRESH_CODE:
      return step(0, { nextUrl: false });
    case 4403:
      return step(forbiddenInARow <= 1 ? 0 : fullJitter(backoff, attempt), { reauthenticate: true, nextUrl: false });
    case 4601:
      return step(fullJitter(backoff, 0), { nextUrl: false });
    case DISCONNECTED_BY_ADMIN_CODE:
      return step(fullJitter(backoff, 0), { reauthenticate: true, revoked: true, nextUrl: false });
    case 4602:
      return step(backoff.maxMs / 2 + backoff.random() * (backoff.maxMs / 2), { nextUrl: false });
    case 1013: {
      const hint = Number(RETRY_HINT.exec(end.reason)?.[1] ?? 0);
      return step(Math.max(hint, fullJitter(backoff, attempt)) + backoff.random() * backoff.initialMs);
    }
    case 4400:
    case 4406:
    case 4409:
    case 4429:
    case 1002:
    case 1003:
    case 1009:
      return step(backoff.maxMs, { suspicious: true });
    default:
      return step(fullJitter(backoff, attempt));
  }
}
