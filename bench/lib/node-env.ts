/** The part of a node's environment both reference servers read (the same variables as switchboard). */
export interface NodeEnv {
  readonly port: number;
  readonly redisUrl: string;
  readonly nodeId: string;
}

/** Reads PORT, REDIS_URL and NODE_ID. @throws when REDIS_URL is missing (the references are Redis-only). */
export function readNodeEnv(env: NodeJS.ProcessEnv): NodeEnv {
  const redisUrl = env['REDIS_URL'];
  if (redisUrl === undefined || redisUrl === '') throw new Error('Invalid REDIS_URL: the reference servers need Redis: current value unset');
  return {
    port: Number(env['PORT'] ?? '0'),
    redisUrl,
    nodeId: env['NODE_ID'] ?? `node-${process.pid}`,
  };
}

/** The Prometheus text for the bus-received counter. */
export function metricsText(name: string, value: number): string {
  return `# HELP ${name} Messages this node received from the bus.\n# TYPE ${name} counter\n${name} ${value}\n`;
}
