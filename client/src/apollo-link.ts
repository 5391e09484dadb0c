import { ApolloLink } from '@apollo/client';
import { OperationTypeNode, print } from 'graphql';
import { Observable } from 'rxjs';
import type { SwitchboardClient } from './client-api.ts';
import type { CursorStore } from './cursor-store.ts';
import { messageReceivedField } from './documents.ts';

/** Options of {@link SwitchboardLink}. */
export interface SwitchboardLinkOptions {
  /** Where `messageReceived` subscriptions keep their cursor; default the client's (or in memory). */
  readonly cursorStore?: CursorStore;
}

/**
 * An Apollo Client link (terminating) over a {@link SwitchboardClient}. A `messageReceived`
 * subscription becomes a message feed: on every reconnect it resumes after the last message it
 * delivered (Apollo's own links resubscribe with the variables they started with, so they lose
 * what was sent during the gap). Other subscriptions restart on each connection; queries and
 * mutations go over HTTP. Results are passed on as the server sent them, errors included.
 *
 * ```ts
 * const apollo = new ApolloClient({ link: new SwitchboardLink(client), cache: new InMemoryCache() });
 * ```
 */
export class SwitchboardLink extends ApolloLink {
  readonly #client: SwitchboardClient;
  readonly #options: SwitchboardLinkOptions;

  constructor(client: SwitchboardClient, options: SwitchboardLinkOptions = {}) {
    super();
    this.#client = client;
    this.#options = options;
  }

  override request(operation: ApolloLink.Operation): Observable<ApolloLink.Result> {
    const client = this.#client;
    return new Observable<ApolloLink.Result>((observer) => {
      if (operation.operationType !== OperationTypeNode.SUBSCRIPTION) {
        client
          .execute({ query: print(operation.query), variables: operation.variables, ...(operation.operationName === undefined ? {} : { operationName: operation.operationName }) })
          .then((result) => {
            observer.next(result as ApolloLink.Result);
            observer.complete();
          }, (error: unknown) => observer.error(error));
        return undefined;
      }
      const field = messageReceivedField(operation.query, operation.operationName);
      if (field !== undefined) {
        const key = field.alias?.value ?? 'messageReceived';
        return client.messages({
          document: operation.query,
          ...(operation.operationName === undefined ? {} : { operationName: operation.operationName }),
          variables: operation.variables,
          ...(this.#options.cursorStore === undefined ? {} : { cursorStore: this.#options.cursorStore }),
          onMessage: (message) => observer.next({ data: { [key]: message } }),
        });
      }
      return client.subscribe(operation.query, operation.variables, {
        next: (data) => observer.next({ data: data as Record<string, unknown> }),
        error: (error) => observer.error(error),
        complete: () => observer.complete(),
      });
    });
  }
}
