/** Failed attempts one client address may make per window before it is refused for the rest of it. */
const MAX_FAILURES = 10;
const WINDOW_MS = 60_000;
/** Addresses remembered at most (older windows are swept first): a flood of addresses costs bounded memory. */
const MAX_ADDRESSES = 10_000;

/** How a request's bearer token fared. */
export type AdminVerdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs?: number };

/**
 * The admin routes' door: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time (both
 * sides hashed with SHA-256 first, so neither the length nor a prefix shows in the timing), and at
 * most {@link MAX_FAILURES} failed attempts per client address per minute (then 429 until the window
 * ends). Web Crypto only, so the same code runs on Node and Deno.
 */
export class AdminAuth {
  readonly #expected: Promise<Uint8Array>;
  readonly #failures = new Map<string, { count: number; since: number }>();
  readonly #now: () => number;

  constructor(token: string, now: () => number = Date.now) {
    this.#expected = digest(token);
    this.#now = now;
  }

  /** Checks `authorization` (the header's value) for a request from `address`. */
  async check(authorization: string | null, address: string): Promise<AdminVerdict> {
    const at = this.#now();
    const entry = this.#failures.get(address);
    if (entry !== undefined && at - entry.since >= WINDOW_MS) this.#failures.delete(address);
    const current = this.#failures.get(address);
    if (current !== undefined && current.count >= MAX_FAILURES) return { ok: false, retryAfterMs: current.since + WINDOW_MS - at };
    const given = /^Bearer (.+)$/u.exec(authorization ?? '')?.[1] ?? '';
    if (equal(await digest(given), await this.#expected)) return { ok: true };
    this.#fail(address, at);
    return { ok: false };
  }

  #fail(address: string, at: number): void {
    if (this.#failures.size >= MAX_ADDRESSES) {
      for (const [key, value] of this.#failures) if (at - value.since >= WINDOW_MS) this.#failures.delete(key);
      if (this.#failures.size >= MAX_ADDRESSES) this.#failures.delete(this.#failures.keys().next().value as string);
    }
    const entry = this.#failures.get(address) ?? { count: 0, since: at };
    entry.count += 1;
    this.#failures.set(address, entry);
  }
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** Equal bytes, in time that depends only on the length (always 32 here). */
function equal(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i += 1) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}
