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
