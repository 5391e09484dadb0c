/**
 * `promise`, or a rejection once the epoch-ms `deadline` passes. A send uses it on top of the command
 * timeout: ioredis may retry a command after a cluster redirect, past the send's own deadline.
 */
export function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer before the send timeout')), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
