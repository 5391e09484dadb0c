import type { ChildProcess } from 'node:child_process';

/** The reply every load process sends when a command failed. */
interface ErrorReply {
  readonly type: 'error';
  readonly message: string;
}

/**
 * Sends `command` to `child` and resolves with its next reply (replies come in command order;
 * `waiting` is the queue the child's 'message' listener serves), or with an error reply after
 * `timeoutMs`. Shared by the benchmark's and the storm's load pools.
 */
export async function nextReply<R extends { readonly type: string }>(
  child: ChildProcess,
  waiting: Array<(reply: R | ErrorReply) => void>,
  command: { readonly type: string },
  timeoutMs: number,
): Promise<R | ErrorReply> {
  let timer: NodeJS.Timeout | undefined;
  const reply = await Promise.race([
    new Promise<R | ErrorReply>((resolve) => {
      waiting.push(resolve);
      child.send(command);
    }),
    new Promise<ErrorReply>((resolve) => {
      timer = setTimeout(() => resolve({ type: 'error', message: `no reply to '${command.type}' in ${timeoutMs} ms` }), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return reply;
}
