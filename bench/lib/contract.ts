/**
 * The public contract every system under test speaks (switchboard, floor, card-literal, mercurius), in one
 * place so the load process and both reference servers cannot drift apart.
 */

/** GraphQL over HTTP and graphql-ws share this path. */
export const GRAPHQL_PATH = '/graphql';

/** The mutation the load process sends; the floor reads only its variables. */
export const SEND_MUTATION =
  'mutation($to:ID!,$body:String!){sendMessage(toUserId:$to,body:$body){id sentAt}}';

/** The subscription every load client holds. */
export const RECEIVE_SUBSCRIPTION = 'subscription{messageReceived{id fromUserId toUserId body sentAt}}';

/** Counter of messages a node received from the bus, exposed at `GET /metrics` (Prometheus text). */
export const BUS_RECEIVED_METRIC = 'switchboard_bus_messages_received_total';

/** Redis channel of one recipient in `user` routing (same shape as switchboard's). */
export const userChannel = (userId: string): string => `sb:{u:${userId}}:msg`;

/**
 * The part of switchboard's schema the load uses, for the references that execute GraphQL
 * (card-literal, mercurius): one place, so they cannot drift apart.
 */
export const CONTRACT_SDL = /* GraphQL */ `
  scalar DateTime
  type Message {
    id: ID!
    fromUserId: ID!
    toUserId: ID!
    body: String!
    sentAt: DateTime!
  }
  type Query {
    me: ID!
  }
  type Mutation {
    sendMessage(toUserId: ID!, body: String!): Message!
  }
  type Subscription {
    messageReceived: Message!
  }
`;

/** The message every system delivers in `messageReceived`. */
export interface WireMessage {
  readonly id: string;
  readonly fromUserId: string;
  readonly toUserId: string;
  readonly body: string;
  readonly sentAt: string;
}

/**
 * The startup line every node prints on stdout (pino's shape): the orchestrator waits for it and
 * reads the bound port from it.
 */
export function listeningLine(port: number, nodeId: string): string {
  return `${JSON.stringify({ level: 30, time: Date.now(), nodeId, port, path: GRAPHQL_PATH, msg: 'listening' })}\n`;
}

/** The port of a node's `"msg":"listening"` JSON log line, or `undefined` for any other line. */
export function listeningPort(line: string): number | undefined {
  if (!line.includes('"listening"')) return undefined;
  try {
    const value = JSON.parse(line) as { msg?: unknown; port?: unknown };
    return value.msg === 'listening' && typeof value.port === 'number' ? value.port : undefined;
  } catch {
    return undefined;
  }
}
