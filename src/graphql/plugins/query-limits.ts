import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { clientError } from '../errors.ts';
import { useCodedRequestErrors } from './coded-request-errors.ts';
import type { SecurityConfig } from '../../limits/config.ts';

/** Which configured limit refused an operation; `extensions.limit` of a `LIMIT_EXCEEDED` error. */
type QueryLimit = 'maxDocumentCharacters' | 'maxTokens' | 'maxDepth' | 'maxAliases' | 'maxCost' | 'maxDirectives';

/**
 * Limits on GraphQL documents, as envelop plugins: they run inside yoga's `getEnveloped`, which every
 * transport executes through (HTTP, SSE and graphql-ws), so one rule guards all three.
 * - document length (characters) and lexical tokens, while parsing;
 * - depth, aliases, estimated cost and directives, while validating (graphql-armor);
 * - introspection (`__schema`, `__type`) refused with `FORBIDDEN` unless `introspection`;
 * - "Did you mean …" suggestions masked in production, so the schema cannot be guessed field by field.
 * Refusals carry `extensions.code = "LIMIT_EXCEEDED"` and `extensions.limit`.
 */
export function useQueryLimits(limits: SecurityConfig, options: { production: boolean }): Plugin {
  const armor = new EnvelopArmor({
    maxTokens: { n: limits.maxTokens, ...throwing('maxTokens') },
    maxDepth: { n: limits.maxDepth, ...reporting('maxDepth') },
    maxAliases: { n: limits.maxAliases, ...reporting('maxAliases') },
    costLimit: { maxCost: limits.maxCost, ...reporting('maxCost') },
    maxDirectives: { n: limits.maxDirectives, ...reporting('maxDirectives') },
    blockFieldSuggestion: { enabled: options.production },
  }).protect();
  return {
    onPluginInit({ addPlugin }) {
      // Before the armor plugins: a huge document is refused before the lexer sees it.
      addPlugin({
        onParse({ params }) {
          const source: unknown = params.source;
          const text = typeof source === 'string' ? source : (source as { body?: unknown } | null)?.body;
          const length = typeof text === 'string' ? text.length : 0;
          if (length > limits.maxDocumentCharacters) {
            throw limitError(
              'maxDocumentCharacters',
              `Cannot run operation: the document is longer than ${limits.maxDocumentCharacters} characters: current length ${length}`,
            );
          }
        },
      });
      // graphql-armor types its plugins for envelop's bare context; they read nothing of it.
      for (const plugin of armor.plugins) addPlugin(plugin as unknown as Plugin);
      // A rule may throw instead of reporting: graphql-armor's evaluate @include/@skip and throw when
      // their variable is missing (found by the fuzzer). Thrown, the error escaped validation:
      // uncoded with status 200 over HTTP, and a 4500 close over graphql-ws. It is a validation error.
      addPlugin({
        onValidate({ validateFn, setValidationFn }) {
          setValidationFn((...args) => {
            try {
              return validateFn(...args);
            } catch (error) {
              if (!(error instanceof GraphQLError)) throw error;
              return [new GraphQLError(error.message, { nodes: error.nodes ?? null, extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } })];
            }
          });
        },
      });
      addPlugin(useCodedRequestErrors());
      if (!limits.introspection) {
        addPlugin({ onValidate: ({ addValidationRule }) => addValidationRule(noIntrospection) });
      }
    },
  };
}

/** graphql-armor's callback options (its types package is only a transitive dependency). */
interface ArmorCallbacks {
  readonly propagateOnRejection: boolean;
  readonly onReject: Array<(context: ValidationContext | null, error: GraphQLError) => void>;
}

function limitError(limit: QueryLimit, message: string): GraphQLError {
  return clientError('LIMIT_EXCEEDED', message, { limit });
}

// graphql-armor's messages read "Syntax Error: Query depth limit of 6 exceeded, found 7."
function rephrase(error: GraphQLError): string {
  return `Cannot run operation: ${error.message.replace(/^Syntax Error: /u, '')}`;
}

/** For validation rules: report the refusal as a coded validation error (graphql-armor would throw). */
function reporting(limit: QueryLimit): ArmorCallbacks {
  return {
    propagateOnRejection: false,
    onReject: [(context, error) => context?.reportError(limitError(limit, rephrase(error)))],
  };
}

/** For the parser (no validation context): throw the coded error out of `parse`. */
function throwing(limit: QueryLimit): ArmorCallbacks {
  return {
    propagateOnRejection: false,
    onReject: [
      (_context, error) => {
        throw limitError(limit, rephrase(error));
      },
    ],
  };
}

/** Refuses `__schema` and `__type` (not `__typename`, which clients need for caching). */
function noIntrospection(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      const name = node.name.value;
      if (name === '__schema' || name === '__type') {
        context.reportError(
          clientError('FORBIDDEN', `Cannot run operation: introspection is disabled: field '${name}'`, {}),
        );
      }
    },
  };
}
