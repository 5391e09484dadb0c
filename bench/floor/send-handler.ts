import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { userChannel, type WireMessage } from '../lib/contract.ts';

/**
 * HTTP POST /graphql for the floor: verifies the bearer token, reads `variables.to` and
 * `variables.body` (the document itself is not parsed: the floor serves only `sendMessage`),
 * publishes the message on the recipient's channel and answers like GraphQL would.
 */
export function createSendHandler(publisher: Redis, verify: (authorization: unknown) => string | undefined) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const fromUserId = verify(request.headers.authorization);
    if (fromUserId === undefined) return reply(response, 401, { errors: [{ message: 'Unauthenticated' }] });
    let variables: unknown;
    try {
      variables = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)['variables'];
    } catch {
      return reply(response, 400, { errors: [{ message: 'Invalid JSON' }] });
    }
    const { to, body } = typeof variables === 'object' && variables !== null ? (variables as Record<string, unknown>) : {};
    if (typeof to !== 'string' || to === '' || typeof body !== 'string' || body === '') {
      return reply(response, 400, { errors: [{ message: "Invalid variables: expected strings 'to' and 'body'" }] });
    }
    const message: WireMessage = {
      id: crypto.randomUUID(),
      fromUserId,
      toUserId: to,
      body,
      sentAt: new Date().toISOString(),
    };
    await publisher.publish(userChannel(to), JSON.stringify(message));
    reply(response, 200, { data: { sendMessage: { id: message.id, sentAt: message.sentAt } } });
  };
}

function reply(response: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
