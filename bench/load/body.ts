/**
 * Message bodies carry what the receiver needs to measure: `<tag>|<seq>|<send time>|` padded with
 * `x` to the scenario's size. The send time is `performance.now()` of the load process that sends and
 * receives it, so latency needs no clock agreement between processes.
 */
export function encodeBody(tag: string, seq: number, sentAt: number, bytes: number): string {
  const head = `${tag}|${seq}|${sentAt.toFixed(3)}|`;
  return head.length >= bytes ? head : head + 'x'.repeat(bytes - head.length);
}

export interface BodyMark {
  readonly tag: string;
  readonly seq: number;
  readonly sentAt: number;
}

/** Reads the mark back, or `undefined` when the body is not one of ours. */
export function decodeBody(body: string): BodyMark | undefined {
  const a = body.indexOf('|');
  const b = body.indexOf('|', a + 1);
  const c = body.indexOf('|', b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  const seq = Number(body.slice(a + 1, b));
  const sentAt = Number(body.slice(b + 1, c));
  if (!Number.isInteger(seq) || !Number.isFinite(sentAt)) return undefined;
  return { tag: body.slice(0, a), seq, sentAt };
}
