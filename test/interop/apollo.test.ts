import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { MessageReceivedDocument, NodeIdDocument, SendMessageDocument } from '../../documents/operations.generated.ts';
import { describeInterop } from './interop-suite.ts';

// Apollo Client 4 the way its docs set it up: subscriptions over graphql-ws (GraphQLWsLink), every
// other operation over HTTP (HttpLink), chosen per operation by ApolloLink.split.
describeInterop('Apollo Client 4 (GraphQLWsLink + HttpLink, split)', (node, token) => {
  const socket = createClient({
    url: node.wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  const link = ApolloLink.split(
    ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(socket),
    new HttpLink({ uri: node.url, headers: { authorization: `Bearer ${token}` } }),
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  return {
    async nodeId() {
      const { data } = await client.query({ query: NodeIdDocument, fetchPolicy: 'network-only' });
      if (data === undefined) throw new Error('NodeId returned no data');
      return data.nodeId;
    },
    async send(variables) {
      const { data } = await client.mutate({ mutation: SendMessageDocument, variables });
      if (data == null) throw new Error('SendMessage returned no data');
      return data.sendMessage;
    },
    subscribe(variables, onMessage, onError) {
      const subscription = client.subscribe({ query: MessageReceivedDocument, variables }).subscribe({
        next: ({ data, error }) => {
          if (error !== undefined) onError(error);
          else if (data != null) onMessage(stripTypename(data.messageReceived));
        },
        error: onError,
      });
      return () => subscription.unsubscribe();
    },
    async close() {
      client.stop();
      await socket.dispose();
    },
  };
});

// Apollo adds __typename to every selection set (the normalized cache needs it); the suite compares
// plain messages.
function stripTypename<T extends object>(value: T): T {
  const { __typename: _, ...rest } = value as T & { __typename?: string };
  return rest as T;
}
