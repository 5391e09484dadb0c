import { GraphQLError } from 'graphql';
import type { ErrorCode } from '../domain/error-codes.ts';

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
