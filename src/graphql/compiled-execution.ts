import type { DocumentNode, ExecutionArgs, GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/**
 * Queries and mutations run as graphql-jit compiled them: once per parsed document and operation
 * (yoga's parse cache hands out the same `DocumentNode` for the same text), then a plain function
 * call per request instead of graphql-js walking the document. A document graphql-jit cannot compile
 * runs through graphql-js as before. Subscriptions are not touched (their events are compiled by
 * `event-plan.ts` on graphql-ws; over SSE they run through graphql-js).
 */
export function useCompiledExecution(): Plugin {
  const cache = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();
  const compiledFor = (schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): CompiledQuery | undefined => {
    let byName = cache.get(document);
    if (byName === undefined) {
      byName = new Map();
      cache.set(document, byName);
    }
    const key = operationName ?? '';
    let compiled = byName.get(key);
    if (compiled === undefined) {
      const result = compileQuery(schema, document, operationName);
      compiled = isCompiledQuery(result) ? result : null;
      byName.set(key, compiled);
    }
    return compiled ?? undefined;
  };
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const compiled = compiledFor(args.schema, args.document, args.operationName ?? undefined);
      if (compiled === undefined) return;
      setExecuteFn((run: ExecutionArgs) => {
        const result = compiled.query(run.rootValue, run.contextValue, run.variableValues);
        // Variables graphql-jit could not coerce: nothing ran (the result has no `data`); graphql-js
        // reports them, with its errors and messages (coded BAD_USER_INPUT by coded-errors.ts).
        if (!isPromiseLike(result) && !('data' in result)) return executeFn(run);
        return result;
      });
    },
  };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
