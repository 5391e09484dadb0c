import { GraphQLError } from 'graphql';

/**
 * Every error code a client can see in `extensions.code`. One closed union, so a client can switch
 * on it exhaustively. Unexpected errors are masked by yoga and never carry a code from here.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'CURSOR_EXPIRED'
  /** A configured limit refused the operation (`extensions.limit` names it); see SECURITY.md. */
  | 'LIMIT_EXCEEDED'
  /** An SSE subscription ended because the client read too slowly (graphql-ws: close 4601). */
  | 'SLOW_CONSUMER'
  /** Set by yoga (and by the graphql-ws transport alike): the document does not parse. */
  | 'GRAPHQL_PARSE_FAILED'
  /** Set by yoga (and by the graphql-ws transport alike): the document does not validate. */
  | 'GRAPHQL_VALIDATION_FAILED'
  /** Set by yoga: the HTTP request is not a GraphQL request (bad JSON, bad parameters). */
  | 'BAD_REQUEST'
  /** Set by yoga (and by the graphql-ws transport alike): no single operation to run was named. */
  | 'OPERATION_RESOLUTION_FAILURE';

/**
 * Creates the GraphQL error a client sees for an expected failure.
 * `message` follows one grammar: what could not be done, why, and the current value.
 */
export function clientError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

/** `error` as a GraphQLError (yoga's mask function is typed to return an `Error`). */
export function asGraphQLError(error: Error): GraphQLError {
  return error instanceof GraphQLError ? error : new GraphQLError(error.message, { originalError: error });
}
