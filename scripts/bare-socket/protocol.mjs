// The least of graphql-ws's protocol the bare references speak (Node and Deno alike): the frames
// to send in answer to `text`, a client frame.
const NEXT = { messageReceived: { id: '0', fromUserId: 'bare', body: 'hello', sentAt: '1970-01-01T00:00:00.000Z' } };

/** `connection_init` → `connection_ack`; `subscribe` → one `next`; anything else → nothing. */
export function answer(text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    return [];
  }
  if (message?.type === 'connection_init') return ['{"type":"connection_ack"}'];
  if (message?.type === 'subscribe') return [JSON.stringify({ id: message.id, type: 'next', payload: { data: NEXT } })];
  return [];
}
