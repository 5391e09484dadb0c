// Preloaded by scripts/socket-memory.mjs into the node it measures (`node --expose-gc -r …`):
// SIGUSR2 runs a full garbage collection and writes one JSON line of process.memoryUsage() and the
// young generation's size (newSpace) to stderr; with HEAP_SNAPSHOT_DIR set, it also writes a heap
// snapshot there (scripts/heap-diff.mjs).
const { getHeapSpaceStatistics, writeHeapSnapshot } = require('node:v8');
const { join } = require('node:path');
let snapshots = 0;
process.on('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc();
  const dir = process.env.HEAP_SNAPSHOT_DIR;
  const file = dir ? writeHeapSnapshot(join(dir, `${++snapshots}.heapsnapshot`)) : undefined;
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
  process.stderr.write(`${JSON.stringify({ ...process.memoryUsage(), newSpace, ...(file ? { file } : {}) })}\n`);
});
