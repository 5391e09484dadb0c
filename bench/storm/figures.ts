import { availableParallelism } from 'node:os';
import { summarize, type LatencySummary } from '../lib/stats.ts';
import type { SendRecord } from './ipc.ts';

/** CPU time spent during one storm, ms, by who spent it. */
export interface StormCpu {
  /** The nodes that stayed up (kill: b; a drain: the other two). */
  readonly survivors: number;
  readonly load: number;
  readonly redis: number;
  /** The whole machine: every process on every core, the kernel's work included. */
  readonly machine: number;
}

/** One line: who spent the storm's CPU, and the survivors' share per moved client. */
export function formatCpu(cpu: StormCpu, moved: number, windowMs: number): string {
  const s = (value: number) => `${(value / 1000).toFixed(1)} s`;
  return (
    `  CPU until all were back               nodes that stayed up ${s(cpu.survivors)} (${(cpu.survivors / Math.max(1, moved)).toFixed(2)} ms per moved client), ` +
    `load processes ${s(cpu.load)}, Redis ${s(cpu.redis)}, whole machine ${s(cpu.machine)} of ${s(windowMs * availableParallelism())}`
  );
}

/** What one storm (a kill, or one drain of a rolling restart) measured. */
export interface StormFigures {
  /** From the kill (or SIGTERM) until the last moved client's subscription was live again, ms. */
  readonly allBackMs: number;
  readonly moved: number;
  /** Messages sent with a successful answer during the whole run. */
  readonly acknowledged: number;
  /** Acknowledged and never received. */
  readonly lost: number;
  /** Extra receipts of a message (a message received twice counts 1). */
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly misrouted: number;
  /** Sends that still failed after every retry, of those first sent during the storm (and in the whole run). */
  readonly failedSendsInStorm: number;
  readonly failedSends: number;
  /** Attempts answered UNAVAILABLE (or network error, 503) and retried, during the storm. */
  readonly retriedAttemptsInStorm: number;
  /** How long sends first tried during the storm took to be answered (retries included). */
  readonly sendLatency: LatencySummary;
  /**
   * The slowest 1 % of messages to steady users sent during the storm, split where they waited:
   * median ms from the send to Redis storing it, and from then to its receipt; and how many of them
   * were sent on a connection the sender opened for them.
   */
  readonly steadySlowest: { readonly count: number; readonly toStoredMs: number; readonly storedToReceivedMs: number; readonly onNewConnection: number };
  /** Sent during the storm window to users who moved. */
  readonly movedLatency: LatencySummary;
  /** Sent during the storm window to users whose node stayed up all along. */
  readonly steadyLatency: LatencySummary;
  /** The same, only those the sender sent on a connection that was already open. */
  readonly steadyLatencyOpenConnection: LatencySummary;
  readonly sheds: number;
  /** Subscriptions answered UNAVAILABLE on an open socket and made again (whole run). */
  readonly resubscribes: number;
  readonly connectFailures: number;
  /** Failed attempts by close code or HTTP status (over the whole run). */
  readonly failureReasons: Readonly<Record<string, number>>;
}

/**
 * The storm's figures from every message's record: the window is [start, start + allBackMs], and a
 * message counts for it when its first send attempt fell inside.
 */
export function stormFigures(
  records: readonly SendRecord[],
  window: { start: number; end: number },
  counts: { moved: number; outOfOrder: number; misrouted: number; sheds: number; resubscribes: number; connectFailures: number; failureReasons: Readonly<Record<string, number>> },
): StormFigures {
  const inWindow = (record: SendRecord) => record.sentAt >= window.start && record.sentAt <= window.end;
  const latency = (steady: boolean, only: (record: SendRecord) => boolean = () => true) =>
    summarize(
      records
        .filter((record) => record.steady === steady && inWindow(record) && record.receipts > 0 && only(record))
        .map((record) => record.receivedAt - record.sentAt),
    );
  return {
    allBackMs: window.end - window.start,
    moved: counts.moved,
    acknowledged: records.filter((record) => record.outcome === 'ok').length,
    lost: records.filter((record) => record.outcome === 'ok' && record.receipts === 0).length,
    duplicates: records.reduce((total, record) => total + Math.max(0, record.receipts - 1), 0),
    outOfOrder: counts.outOfOrder,
    misrouted: counts.misrouted,
    failedSendsInStorm: records.filter((record) => record.outcome !== 'ok' && inWindow(record)).length,
    failedSends: records.filter((record) => record.outcome !== 'ok').length,
    retriedAttemptsInStorm: records.filter(inWindow).reduce((total, record) => total + record.retries, 0),
    sendLatency: summarize(records.filter((record) => inWindow(record) && record.outcome === 'ok').map((record) => record.answeredAt - record.sentAt)),
    steadySlowest: slowestSplit(records.filter((record) => record.steady && inWindow(record) && record.receipts > 0)),
    movedLatency: latency(false),
    steadyLatency: latency(true),
    steadyLatencyOpenConnection: latency(true, (record) => !record.newConnection),
    sheds: counts.sheds,
    resubscribes: counts.resubscribes,
    connectFailures: counts.connectFailures,
    failureReasons: counts.failureReasons,
  };
}

function slowestSplit(records: readonly SendRecord[]): StormFigures['steadySlowest'] {
  const slowest = [...records].sort((a, b) => b.receivedAt - b.sentAt - (a.receivedAt - a.sentAt)).slice(0, Math.max(1, Math.ceil(records.length / 100)));
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  return {
    count: slowest.length,
    toStoredMs: median(slowest.map((record) => record.storedAt - record.sentAt)),
    storedToReceivedMs: median(slowest.map((record) => record.receivedAt - record.storedAt)),
    onNewConnection: slowest.filter((record) => record.newConnection).length,
  };
}

const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);

/** One line per figure, as the storm prints it. */
export function formatFigures(title: string, f: StormFigures): string {
  return [
    `${title}`,
    `  all ${f.moved} moved clients live again after   ${ms(f.allBackMs)}`,
    `  lost                                  ${f.lost} of ${f.acknowledged} acknowledged sends`,
    `  duplicates                            ${f.duplicates} (out of order ${f.outOfOrder}, misrouted ${f.misrouted})`,
    `  failed sends during the storm         ${f.failedSendsInStorm} (whole run ${f.failedSends}; attempts retried during the storm ${f.retriedAttemptsInStorm})`,
    `  sends answered, during the storm      p50 ${ms(f.sendLatency.p50)}, p99 ${ms(f.sendLatency.p99)}, max ${ms(f.sendLatency.max)} (${f.sendLatency.count} sends)`,
    `  latency, sent during the storm        p50 ${ms(f.movedLatency.p50)}, p99 ${ms(f.movedLatency.p99)}, max ${ms(f.movedLatency.max)} (${f.movedLatency.count} messages to moved users)`,
    `  latency, users on a surviving node    p50 ${ms(f.steadyLatency.p50)}, p99 ${ms(f.steadyLatency.p99)}, max ${ms(f.steadyLatency.max)} (${f.steadyLatency.count} messages)`,
    `    sent on connections already open    p50 ${ms(f.steadyLatencyOpenConnection.p50)}, p99 ${ms(f.steadyLatencyOpenConnection.p99)}, max ${ms(f.steadyLatencyOpenConnection.max)} (${f.steadyLatencyOpenConnection.count} messages)`,
    `  slowest 1 % of those, median split    ${ms(f.steadySlowest.toStoredMs)} until Redis stored it, ${ms(f.steadySlowest.storedToReceivedMs)} from there to the client (${f.steadySlowest.count} messages, ${f.steadySlowest.onNewConnection} sent on a connection opened for them)`,
    `  subscriptions answered UNAVAILABLE    ${f.resubscribes} (subscribed again on the same socket)`,
    `  connections shed with 1013 (retried)  ${f.sheds}; other failed attempts ${f.connectFailures}${f.connectFailures > 0 ? ` ${JSON.stringify(f.failureReasons)}` : ''}`,
  ].join('\n');
}
