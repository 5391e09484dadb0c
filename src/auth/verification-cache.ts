import type { VerifyToken, Viewer } from './verifier.ts';

/**
 * Tokens remembered by default (JWT_CACHE_ENTRIES): ~100,000 × a token's size (a few hundred bytes).
 * It must exceed the distinct senders a node sees: a cache smaller than that thrashes (every send
 * verifies again), which is how CPU per message grew with users in the benchmark at 10,000 entries.
 */
const DEFAULT_ENTRIES = 100_000;

/**
 * Remembers tokens that verified, until they expire, so an app that sends many messages with the
 * same token pays for the signature check once (an HS256 check with jose costs ~30–50 µs; the send
 * path is a few hundred). Failures are never cached. Bounded: the oldest entry goes first.
 * A token stays accepted until its `exp` even if its JWKS key is withdrawn meanwhile — the same
 * window any stateless JWT has.
 */
export function withVerificationCache(
  verify: VerifyToken,
  // The real clock by default: jose checks `exp` against it, so the cache must agree with jose.
  now: () => number = Date.now,
  maxEntries: number = DEFAULT_ENTRIES,
): VerifyToken {
  const verified = new Map<string, Viewer>();
  return async (token) => {
    const hit = verified.get(token);
    if (hit !== undefined) {
      if (hit.expiresAt === undefined || hit.expiresAt > now()) return hit;
      verified.delete(token);
    }
    const viewer = await verify(token);
    if (verified.size >= maxEntries) verified.delete(verified.keys().next().value as string);
    verified.set(token, viewer);
    return viewer;
  };
}
