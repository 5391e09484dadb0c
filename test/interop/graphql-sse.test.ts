import { print } from 'graphql';
import { createClient } from 'graphql-sse';
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

// The graphql-sse client in its default "distinct connections" mode: one POST with
// `accept: text/event-stream` per operation, which yoga serves natively at /graphql.
describeInterop('graphql-sse client (distinct connections mode)', (node, token) => {
  const client = createClient({
    url: node.url,
    headers: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  const once = <T>(query: string, variables?: Record<string, unknown>): Promise<T> =>
    firstData(client.iterate<T>({ query, ...(variables === undefined ? {} : { variables }) }));
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
