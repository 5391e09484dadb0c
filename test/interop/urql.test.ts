import { Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { MessageReceivedDocument, NodeIdDocument, SendMessageDocument } from '../../documents/operations.generated.ts';
import { describeInterop } from './interop-suite.ts';

// urql (@urql/core, the client every urql binding wraps): queries and mutations through fetchExchange,
// subscriptions through subscriptionExchange forwarded to a graphql-ws client.
describeInterop('urql (fetchExchange + subscriptionExchange over graphql-ws)', (node, token) => {
  const socket = createClient({
    url: node.wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  const client = new Client({
    url: node.url,
    preferGetMethod: false,
    fetchOptions: { headers: { authorization: `Bearer ${token}` } },
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({
            unsubscribe: socket.subscribe(
              { ...request, query: request.query ?? '' },
              {
                // graphql-ws types absent keys as `undefined`; urql's type (under exactOptionalPropertyTypes) wants them left out.
                next: ({ data, errors }) =>
                  sink.next({ ...(data === undefined ? {} : { data }), ...(errors === undefined ? {} : { errors }) }),
                error: (error) => sink.error(error),
                complete: () => sink.complete(),
              },
            ),
          }),
        }),
      }),
    ],
  });
  return {
    async nodeId() {
      const result = await client.query(NodeIdDocument, {}, { requestPolicy: 'network-only' }).toPromise();
      if (result.data === undefined) throw result.error ?? new Error('NodeId returned no data');
      return result.data.nodeId;
    },
    async send(variables) {
      const result = await client.mutation(SendMessageDocument, variables).toPromise();
      if (result.data === undefined) throw result.error ?? new Error('SendMessage returned no data');
      return result.data.sendMessage;
    },
    subscribe(variables, onMessage, onError) {
      const { unsubscribe } = client.subscription(MessageReceivedDocument, variables).subscribe((result) => {
        if (result.error !== undefined) onError(result.error);
        else if (result.data !== undefined) onMessage(result.data.messageReceived);
      });
      return unsubscribe;
    },
    close: () => socket.dispose(),
  };
});
