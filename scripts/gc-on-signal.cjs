// Preloaded by scripts/socket-memory.mjs into the node it measures (`node --expose-gc -r …`):
// SIGUSR2 runs a full garbage collection and writes one JSON line of process.memoryUsage() to stderr.
process.on('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc();
  process.stderr.write(`${JSON.stringify(process.memoryUsage())}\n`);
});
