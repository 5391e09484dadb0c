/** The claims of a JWT this client reads; nothing here is verified (the server verifies). */
export interface TokenClaims {
  /** The user id. */
  readonly sub?: string;
  /** Expiry, seconds since the epoch. */
  readonly exp?: number;
}

/**
 * Reads a JWT's payload without verifying it, to know when to fetch a fresh token and whose
 * cursor a store holds. Returns `{}` for anything that is not a readable JWT.
 */
export function readTokenClaims(token: string): TokenClaims {
  const payload = token.split('.')[1];
  if (payload === undefined) return {};
  try {
    const base64 = payload.replace(/-/gu, '+').replace(/_/gu, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const text = new TextDecoder().decode(Uint8Array.from(atob(base64), (char) => char.charCodeAt(0)));
    const claims: unknown = JSON.parse(text);
    if (typeof claims !== 'object' || claims === null) return {};
    const { sub, exp } = claims as Record<string, unknown>;
    return { ...(typeof sub === 'string' ? { sub } : {}), ...(typeof exp === 'number' ? { exp } : {}) };
  } catch {
    return {};
  }
}

/** Supplies the bearer token: cached until it is close to expiry, fetched again on demand. */
export class TokenSource {
  #token: string | undefined;
  #pending: Promise<string> | undefined;

  /**
   * @param fetchToken the app's `getToken`
   * @param marginMs a token expiring within this is treated as expired
   * @param now the clock (ms)
   */
  constructor(
    private readonly fetchToken: () => string | Promise<string>,
    private readonly marginMs: number,
    private readonly now: () => number,
  ) {}

  /** The current token, or a fresh one when there is none or it expires within the margin. */
  async get(): Promise<string> {
    if (this.#token !== undefined && this.msLeft(this.#token) > this.marginMs) return this.#token;
    return this.refresh();
  }

  /** Calls `getToken` again (once for concurrent callers) and caches the answer. */
  refresh(): Promise<string> {
    this.#pending ??= (async () => {
      try {
        const token = await this.fetchToken();
        if (typeof token !== 'string' || token === '') throw new TypeError(`Cannot authenticate: getToken() returned no token: current value ${String(token)}`);
        this.#token = token;
        return token;
      } finally {
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }

  /** The cached token, without asking `getToken`. */
  peek(): string | undefined {
    return this.#token;
  }

  /** Forgets the cached token, so the next {@link get} calls `getToken`. */
  invalidate(): void {
    this.#token = undefined;
  }

  /** Milliseconds until `token` expires; `Infinity` when it says nothing about expiry. */
  msLeft(token: string): number {
    const { exp } = readTokenClaims(token);
    return exp === undefined ? Infinity : exp * 1000 - this.now();
  }
}
