import type { Viewer } from '../auth/verifier.ts';
import type { StreamBacklog } from '../engine/message-stream.ts';
import type { Services } from './services.ts';

/**
 * What every resolver receives. `viewer` is set only for a verified token; `authProblem` says why a
 * token that was presented was refused, so `UNAUTHENTICATED` errors can tell the client.
 */
export interface GraphQLContext {
  readonly viewer: Viewer | undefined;
  readonly authProblem: string | undefined;
  readonly services: Services;
  /** The connection's slow-consumer rule (a socket's, or one HTTP request's); subscriptions report to it. */
  readonly backlog?: StreamBacklog | undefined;
  /**
   * The caller's W3C trace context, when tracing is on: the `traceparent` header (HTTP), or
   * `extensions.traceparent` of the operation (graphql-ws, or HTTP without the header).
   */
  readonly traceparent?: string | undefined;
}
