import { subscriptionExchange, type Exchange } from '@urql/core';
import { parse } from 'graphql';
import type { SwitchboardClient } from './client-api.ts';
import type { CursorStore } from './cursor-store.ts';
import { messageReceivedField } from './documents.ts';

/** Options of {@link switchboardExchange}. */
export interface SwitchboardExchangeOptions {
  /** Where `messageReceived` subscriptions keep their cursor; default the client's (or in memory). */
  readonly cursorStore?: CursorStore;
  /** Also run queries and mutations through the client (over HTTP). Default `false`: only subscriptions. */
  readonly allOperations?: boolean;
}

/**
 * A urql exchange over a {@link SwitchboardClient}, in place of `subscriptionExchange`: a
 * `messageReceived` subscription becomes a message feed that resumes after the last message it
 * delivered on every reconnect; other subscriptions restart on each connection.
 *
 * ```ts
 * new Client({ url, exchanges: [fetchExchange, switchboardExchange(client)] });
 * ```
 */
export function switchboardExchange(client: SwitchboardClient, options: SwitchboardExchangeOptions = {}): Exchange {
  return subscriptionExchange({
    enableAllOperations: options.allOperations === true,
    forwardSubscription(request, operation) {
      return {
        subscribe(sink) {
          const query = request.query ?? '';
          const variables = (request.variables ?? {}) as Record<string, unknown>;
          if (operation.kind !== 'subscription') {
            client
              .execute({ query, variables, ...(request.operationName == null ? {} : { operationName: request.operationName }) })
              .then((result) => {
                sink.next(result as never);
                sink.complete();
              }, (error: unknown) => sink.error(error));
            return { unsubscribe: () => {} };
          }
          const document = parse(query);
          const field = messageReceivedField(document, request.operationName ?? undefined);
          if (field !== undefined) {
            const key = field.alias?.value ?? 'messageReceived';
            const unsubscribe = client.messages({
              document,
              ...(request.operationName == null ? {} : { operationName: request.operationName }),
              variables,
              ...(options.cursorStore === undefined ? {} : { cursorStore: options.cursorStore }),
              onMessage: (message) => sink.next({ data: { [key]: message } }),
            });
            return { unsubscribe };
          }
          const unsubscribe = client.subscribe(document, variables, {
            next: (data) => sink.next({ data: data as Record<string, unknown> }),
            error: (error) => sink.error(error),
            complete: () => sink.complete(),
          });
          return { unsubscribe };
        },
      };
    },
  });
}
