import {
  getNamedType,
  isObjectType,
  Kind,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Message } from '../../domain/message.ts';

/** The one subscription field delivered by push. */
const PUSHED_FIELD = 'messageReceived';

/** Masks an unexpected error as yoga does (and logs it once); coded client errors pass unchanged. */
export type MaskError = (error: GraphQLError) => GraphQLError;

/**
 * How one `messageReceived` subscription document turns a message into the `payload` of a graphql-ws
 * `next` frame: the operation compiled once by graphql-jit, run per message
 * with the message as the root value, as graphql-js runs a subscription event. The payload of the
 * last message is remembered, so a message going to several subscriptions of one document (a user's
 * tabs) is executed and serialized once — unless the selection reads variables, which may differ.
 */
export class EventPlan {
  /** The subscription's root field. */
  readonly field: FieldNode;
  readonly fieldDefinition: GraphQLField<unknown, unknown>;
  /** The response key of the root field (its alias or name): the `path` of its errors. */
  readonly responseKey: string;
  readonly operation: OperationDefinitionNode;
  readonly #compiled: CompiledQuery;
  readonly #selectionReadsVariables: boolean;
  #lastMessage: Message | undefined;
  #lastPayload = '';

  private constructor(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    field: FieldNode,
    definition: GraphQLField<unknown, unknown>,
    compiled: CompiledQuery,
  ) {
    this.operation = operation;
    this.field = field;
    this.fieldDefinition = definition;
    this.responseKey = field.alias?.value ?? field.name.value;
    this.#compiled = compiled;
    this.#selectionReadsVariables = readsVariables(field, document);
  }

  /**
   * The plan for `document`'s operation, or `undefined` when it is not a plain `messageReceived`
   * subscription (which then runs through the generic pipeline): one root field, no directive on it,
   * and a selection whose resolvers are graphql's synchronous defaults.
   */
  static compile(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): EventPlan | undefined {
    const operation = document.definitions.find(
      (definition): definition is OperationDefinitionNode =>
        definition.kind === Kind.OPERATION_DEFINITION && (operationName === undefined || definition.name?.value === operationName),
    );
    if (operation?.operation !== 'subscription' || operation.selectionSet.selections.length !== 1) return undefined;
    const [field] = operation.selectionSet.selections;
    if (field?.kind !== Kind.FIELD || field.name.value !== PUSHED_FIELD || (field.directives?.length ?? 0) > 0) return undefined;
    const definition = schema.getSubscriptionType()?.getFields()[PUSHED_FIELD];
    if (definition === undefined || !hasDefaultResolvers(definition)) return undefined;
    // JSON.stringify, not graphql-jit's schema-based serializer: that one has no custom scalars (DateTime).
    const compiled = compileQuery(schema, document, operationName);
    if (!isCompiledQuery(compiled)) return undefined;
    return new EventPlan(document, operation, field, definition, compiled);
  }

  /** The `next` payload (an ExecutionResult as JSON) for one event: a message, or the error that ends the stream. */
  payload(event: Message | Error, context: unknown, variables: Record<string, unknown>, mask: MaskError): string {
    const memo = event === this.#lastMessage && !this.#selectionReadsVariables;
    if (memo) return this.#lastPayload;
    // Synchronous: the selection's resolvers are graphql's defaults (checked in `compile`).
    const result = this.#compiled.query(event, context, variables) as ExecutionResult;
    const payload =
      result.errors === undefined
        ? this.#compiled.stringify(result)
        : JSON.stringify({ data: result.data ?? null, errors: result.errors.map((error) => mask(error).toJSON()) });
    if (event instanceof Error) return payload;
    this.#lastMessage = event;
    this.#lastPayload = payload;
    return payload;
  }
}

/** Every field of the root field's type uses graphql's default resolver (a property read). */
function hasDefaultResolvers(definition: GraphQLField<unknown, unknown>): boolean {
  const type = getNamedType(definition.type);
  return isObjectType(type) && Object.values(type.getFields()).every((field) => field.resolve === undefined);
}

/** A variable is used below the root field: in its selection or in any fragment (not in its own arguments). */
function readsVariables(field: FieldNode, document: DocumentNode): boolean {
  let found = false;
  const visitor = {
    Variable() {
      found = true;
    },
  };
  if (field.selectionSet !== undefined) visit(field.selectionSet, visitor);
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) visit(definition, visitor);
  return found;
}

/**
 * The plans of every document seen, computed once per parsed document: yoga's parse cache hands out
 * the same `DocumentNode` for the same text, so a plan lives as long as its document stays cached.
 */
export class EventPlans {
  readonly #plans = new WeakMap<DocumentNode, Map<string, EventPlan | null>>();

  /** The plan of `document`'s operation, or `undefined` when it goes through the generic pipeline. */
  get(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): EventPlan | undefined {
    let byName = this.#plans.get(document);
    if (byName === undefined) {
      byName = new Map();
      this.#plans.set(document, byName);
    }
    const key = operationName ?? '';
    let plan = byName.get(key);
    if (plan === undefined) {
      plan = EventPlan.compile(schema, document, operationName) ?? null;
      byName.set(key, plan);
    }
    return plan ?? undefined;
  }
}
