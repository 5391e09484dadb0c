/** Redis Cluster has 16384 hash slots. */
const SLOT_COUNT = 16384;

const encoder = new TextEncoder();

/**
 * The Redis Cluster hash slot of a key or shard channel: CRC16 (XMODEM) of the key's hash tag — the
 * part between the first `{` and the next `}`, when that is non-empty — or of the whole key, modulo
 * 16384 (the Redis Cluster specification's algorithm, on UTF-8 bytes).
 */
export function hashSlot(key: string): number {
  let bytes = encoder.encode(key);
  const open = bytes.indexOf(0x7b); // '{'
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // '}'
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % SLOT_COUNT;
}
