// Preloaded by scripts/socket-memory.mjs into a Deno process it measures
// (`deno run --v8-flags=--expose-gc --preload …`), the Deno twin of gc-on-signal.cjs: SIGUSR2 runs a
// full garbage collection and writes one JSON line of Deno.memoryUsage() (rss, heapTotal,
// heapUsed, external: the fields process.memoryUsage() has) and the young generation's size
// (newSpace) to stderr; with `?dir=…` in its URL (socket-memory.mjs's HEAP_SNAPSHOT_DIR), it also
// writes a heap snapshot there.
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

const dir = new URL(import.meta.url).searchParams.get('dir');
const encoder = new TextEncoder();
let snapshots = 0;
Deno.addSignalListener('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc();
  const file = dir === null ? undefined : writeHeapSnapshot(`${dir}/${++snapshots}.heapsnapshot`);
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
  Deno.stderr.writeSync(encoder.encode(`${JSON.stringify({ ...Deno.memoryUsage(), newSpace, ...(file ? { file } : {}) })}\n`));
});
