// The bare Deno reference of scripts/socket-memory.mjs: Deno.serve + Deno.upgradeWebSocket and no
// library, holding every socket. It answers the graphql-ws handshake the way the client expects
// (connection_init → connection_ack; each subscribe → one `next`) and keeps the socket open, so what
// it retains per socket is about what Deno's own HTTP server and WebSocket hold.
//   deno run --allow-net scripts/bare-socket/deno.mjs   (a free port, printed as {"msg":"listening","port":…})
import { answer } from './protocol.mjs';

const sockets = new Set();
const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, (request) => {
  if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('not found', { status: 404 });
  // The same keep-alive switchboard's Deno host asks for (12 s).
  const { socket, response } = Deno.upgradeWebSocket(request, { protocol: 'graphql-transport-ws', idleTimeout: 12 });
  sockets.add(socket);
  socket.addEventListener('close', () => sockets.delete(socket));
  socket.addEventListener('message', (event) => {
    for (const frame of answer(String(event.data))) socket.send(frame);
  });
  return response;
});
console.log(JSON.stringify({ msg: 'listening', port: server.addr.port }));

