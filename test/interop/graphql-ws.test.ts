import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  MessageReceivedDocument,
  NodeIdDocument,
  SendMessageDocument,
  type MessageReceivedSubscription,
  type NodeIdQuery,
  type SendMessageMutation,
} from '../../documents/operations.generated.ts';
import { describeInterop } from './interop-suite.ts';
import { firstData } from './results.ts';

// The graphql-ws client alone: queries, mutations and the subscription all travel over one socket.
describeInterop('graphql-ws client', (node, token) => {
  const client = createClient({
    url: node.wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  const once = async <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
    const results = client.iterate<T>({ query, ...(variables === undefined ? {} : { variables }) });
    return firstData(results);
  };
  return {
    nodeId: async () => (await once<NodeIdQuery>(print(NodeIdDocument))).nodeId,
    send: async (variables) => (await once<SendMessageMutation>(print(SendMessageDocument), variables)).sendMessage,
    subscribe: (variables, onMessage, onError) =>
      client.subscribe<MessageReceivedSubscription>(
        { query: print(MessageReceivedDocument), variables },
        {
          next: (result) => {
            if (result.errors !== undefined) onError(result.errors);
            else if (result.data) onMessage(result.data.messageReceived);
          },
          error: onError,
          complete: () => {},
        },
      ),
    close: () => client.dispose(),
  };
});
