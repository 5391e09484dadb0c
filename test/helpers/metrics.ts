/** One sample of a Prometheus counter or gauge from a node's GET /metrics (labels ignored: summed). */
export async function readMetric(graphqlUrl: string, name: string): Promise<number> {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/u, '/metrics'))).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * The value of one series in Prometheus text: `name` with exactly `labels` (in any order), or
 * `undefined` when there is no such series.
 */
export function sampleOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/u.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = (match[2] ?? '').match(/\w+="(?:[^"\\]|\\.)*"/gu)?.sort().join(',') ?? '';
    if (have === wanted) return Number(match[3]);
  }
  return undefined;
}

/** GET /metrics of the node serving `graphqlUrl`, as text. */
export async function metricsText(graphqlUrl: string): Promise<string> {
  return (await fetch(graphqlUrl.replace(/\/graphql$/u, '/metrics'))).text();
}
