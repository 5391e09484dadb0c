import { BUS_RECEIVED_METRIC } from './contract.ts';

/**
 * Reads the bus-received counter from a node's `GET /metrics` (Prometheus text format), summing
 * every sample of the metric (any labels). Returns `undefined` when the node has no such endpoint
 * (404) or no such metric, so the report can say "n/a" instead of failing the run.
 */
async function busReceived(port: number): Promise<number | undefined> {
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  } catch {
    return undefined;
  }
  if (!response.ok) {
    await response.body?.cancel();
    return undefined;
  }
  return sumSamples(await response.text(), BUS_RECEIVED_METRIC);
}

/** Sum of the samples of `name` in Prometheus text, or `undefined` when there are none. */
function sumSamples(text: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue; // a longer name with the same prefix
    const value = Number(rest.slice(rest.lastIndexOf('}') + 1).trim().split(' ')[0]);
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** Sum of {@link busReceived} over nodes; `undefined` when any node does not expose the counter. */
export async function totalBusReceived(ports: readonly number[]): Promise<number | undefined> {
  const values = await Promise.all(ports.map(busReceived));
  return values.some((value) => value === undefined)
    ? undefined
    : values.reduce<number>((sum, value) => sum + (value ?? 0), 0);
}
