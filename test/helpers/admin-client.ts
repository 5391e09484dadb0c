import WebSocket from 'ws';
import { waitFor } from './wait-for.ts';

/** An ADMIN_TOKEN for tests (at least 32 characters). */
export const ADMIN_TOKEN = 'test-admin-token-of-at-least-32-characters';

/** Calls an admin route of the node at `base` (`http://127.0.0.1:<port>`); `token` null sends no Authorization. */
export async function admin(
  base: string,
  path: string,
  options: { method?: string; token?: string | null } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  const response = await fetch(`${base}${path}`, {
    method: options.method ?? 'GET',
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), headers: response.headers };
}

/** A raw graphql-transport-ws socket, acknowledged, whose close code the test can read. */
export interface AckedSocket {
  readonly socket: WebSocket;
  /** The close code once closed, else undefined. */
  closeCode(): number | undefined;
  close(): void;
}

/** Opens a graphql-ws connection as the token's user and resolves once the node acknowledged it. */
export async function openAcked(wsUrl: string, token: string): Promise<AckedSocket> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  let code: number | undefined;
  let acked = false;
  socket.on('close', (closed: number) => (code = closed));
  socket.on('error', () => {});
  socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
  socket.on('message', (data: Buffer) => {
    if ((JSON.parse(data.toString()) as { type?: string }).type === 'connection_ack') acked = true;
  });
  await waitFor('the connection_ack', () => {
    if (code !== undefined) throw new Error(`the socket closed with ${code} before its ack`);
    return acked;
  });
  return { socket, closeCode: () => code, close: () => socket.close() };
}
