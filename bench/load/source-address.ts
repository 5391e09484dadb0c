/**
 * Loopback source addresses for the load's sockets. Every socket to one node shares its destination
 * (127.0.0.1:port), so without a source address of its own each needs an ephemeral port of its own:
 * 18,000 sockets to one node — and the TIME_WAIT ports a previous repeat left behind — come close to
 * the range's 28,000. The whole 127.0.0.0/8 is loopback on Linux, and each address has the whole
 * range to itself.
 */

/** At most this many addresses: 127.0.1.1 … 127.0.254.254. */
export const MAX_SOURCE_ADDRESSES = 254 * 254;

/**
 * The source address of user `index` when the load spreads over `count` addresses: 127.0.x.y with
 * x, y from 1, round-robin over users; `undefined` when `count` is 0 (the kernel picks 127.0.0.1).
 * @throws when `count` is not an integer from 0 to {@link MAX_SOURCE_ADDRESSES}.
 */
export function sourceAddress(index: number, count: number): string | undefined {
  if (!Number.isInteger(count) || count < 0 || count > MAX_SOURCE_ADDRESSES) {
    throw new Error(`Cannot pick a source address: the count must be an integer from 0 to ${MAX_SOURCE_ADDRESSES}: current value ${count}`);
  }
  if (count === 0) return undefined;
  const slot = index % count;
  return `127.0.${1 + Math.floor(slot / 254)}.${1 + (slot % 254)}`;
}
