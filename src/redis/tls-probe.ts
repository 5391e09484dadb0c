import { connect } from 'node:net';

/**
 * Whether `host:port` answers a plain-text `PING` like a Redis without TLS (`+PONG`, or an error
 * reply such as `-NOAUTH`). A TLS client that reaches such a port sends its handshake, which Redis
 * reads as a half-finished command and never answers: the connection only times out. This tells
 * that case apart from a Redis that is down or slow, so the node can say "rediss:// to a port without
 * TLS" instead of waiting forever. Resolves false on any failure or after `timeoutMs`.
 */
export function speaksPlainRedis(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const finish = (plain: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(plain);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.setEncoding('latin1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (reply.includes('\r\n')) finish(/^[+-]/u.test(reply));
    });
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
  });
}
