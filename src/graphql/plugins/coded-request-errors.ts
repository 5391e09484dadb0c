import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../../domain/error-codes.ts';

/**
 * graphql-js reports a bad request found while executing — a variable of the wrong type, an unknown
 * or missing operation name — as an error without `extensions.code`, on every transport. Clients
 * switch on codes, and an uncoded error otherwise means "unexpected", so these get one:
 * `BAD_USER_INPUT` for variables, `BAD_REQUEST` for the operation choice.
 */
export function useCodedRequestErrors(): Plugin {
  const code = (result: { errors?: readonly GraphQLError[] }) => {
    if (result.errors === undefined) return undefined;
    let changed = false;
    const errors = result.errors.map((error) => {
      const assigned = error.extensions['code'] === undefined && error.path === undefined ? codeFor(error.message) : undefined;
      if (assigned === undefined) return error;
      changed = true;
      return new GraphQLError(error.message, { nodes: error.nodes ?? null, extensions: { ...error.extensions, code: assigned } });
    });
    return changed ? { ...result, errors } : undefined;
  };
  const codeResult = ({ result, setResult }: { result: unknown; setResult: (result: never) => void }) => {
    if (isResult(result)) {
      const coded = code(result);
      if (coded !== undefined) setResult(coded as never);
    }
  };
  // The same hook objects for every operation: envelop keeps a subscription's for as long as it runs.
  const executeHooks = { onExecuteDone: codeResult };
  const subscribeHooks = { onSubscribeResult: codeResult };
  return {
    onExecute: () => executeHooks,
    onSubscribe: () => subscribeHooks,
  };
}

function isResult(value: unknown): value is { errors?: readonly GraphQLError[] } {
  return typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);
}

function codeFor(message: string): ErrorCode | undefined {
  if (/^Variable "\$/u.test(message)) return 'BAD_USER_INPUT';
  if (/^(Must provide operation name|Unknown operation named|Must provide an operation)/u.test(message)) return 'BAD_REQUEST';
  return undefined;
}
