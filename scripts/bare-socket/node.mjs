// The bare Node reference of scripts/socket-memory.mjs, the twin of deno.mjs: node:http + ws and
// no other library, holding every socket, answering the graphql-ws handshake
// (connection_init → connection_ack; each subscribe → one `next`).
//   node scripts/bare-socket/node.mjs
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { answer } from './protocol.mjs';

const http = createServer((_, response) => response.writeHead(404).end('not found'));
const sockets = new WebSocketServer({ server: http, handleProtocols: () => 'graphql-transport-ws' });
sockets.on('connection', (socket) => {
  socket.on('message', (data) => {
    for (const frame of answer(String(data))) socket.send(frame);
  });
});
http.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'listening', port: http.address().port })));
