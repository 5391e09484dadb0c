import { Kind, parse, print, type DocumentNode, type FieldNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { SwitchboardClientError } from './errors.ts';

/** A document as a string or a (typed) DocumentNode. */
export type DocumentInput = string | DocumentNode;

/** What a message feed needs to know about a `messageReceived` subscription document. */
export interface FeedDocument {
  /** The subscription, printed, with its `after` argument bound to the variable {@link afterVariable}. */
  readonly subscription: string;
  /** The variable that carries the cursor (the document's own, or `switchboardAfter` when it had none). */
  readonly afterVariable: string;
  /** The key the message has in `data` (the field's alias, else `messageReceived`). */
  readonly responseKey: string;
  /** A `messages(after:, first:)` query selecting the same fields, for catching up. */
  readonly catchUp: string;
}

/** Parses a string; returns a DocumentNode unchanged. */
function toDocument(input: DocumentInput): DocumentNode {
  return typeof input === 'string' ? parse(input) : input;
}

/** The single operation of `document`, or the one named `operationName`. */
function operationOf(document: DocumentNode, operationName?: string): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName === undefined ? (operations.length === 1 ? operations[0] : undefined) : operations.find((o) => o.name?.value === operationName);
}

/** The root field of a subscription whose only root field is `messageReceived`, or `undefined`. */
export function messageReceivedField(document: DocumentNode, operationName?: string): FieldNode | undefined {
  const operation = operationOf(document, operationName);
  if (operation?.operation !== 'subscription') return undefined;
  const [field, ...rest] = operation.selectionSet.selections;
  return rest.length === 0 && field?.kind === Kind.FIELD && field.name.value === 'messageReceived' ? field : undefined;
}

/** Whether a selection selects `id` (directly, or through an inline fragment or fragment spread). */
function selectsId(selectionSet: SelectionSetNode, document: DocumentNode, seen = new Set<string>()): boolean {
  return selectionSet.selections.some((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value === 'id' && (selection.alias === undefined || selection.alias.value === 'id');
    if (selection.kind === Kind.INLINE_FRAGMENT) return selectsId(selection.selectionSet, document, seen);
    const name = selection.name.value;
    if (seen.has(name)) return false;
    seen.add(name);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
    return fragment?.kind === Kind.FRAGMENT_DEFINITION && selectsId(fragment.selectionSet, document, seen);
  });
}

/**
 * Reads a `messageReceived` subscription (any selection, aliases and fragments allowed) and derives
 * the catch-up query that selects the same fields of each retained message.
 * @throws SwitchboardClientError `BAD_OPTION` when the document is not a subscription to
 *   `messageReceived` alone; `NO_CURSOR` when its selection has no `id`.
 */
export function feedDocument(input: DocumentInput, operationName?: string): FeedDocument {
  const document = toDocument(input);
  const field = messageReceivedField(document, operationName);
  if (field?.selectionSet === undefined) {
    throw new SwitchboardClientError('BAD_OPTION', `Cannot follow messages: the document is not a subscription to 'messageReceived' alone: ${operationName ?? 'its only operation'}`);
  }
  if (!selectsId(field.selectionSet, document)) {
    throw new SwitchboardClientError('NO_CURSOR', `Cannot follow messages: the 'messageReceived' selection has no 'id', and the cursor is the id: selection ${print(field.selectionSet)}`);
  }
  const bound = bindAfter(document, field);
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => print(d));
  const catchUp = [
    `query SwitchboardCatchUp($after: ID, $first: Int) { messages(after: $after, first: $first) { items ${print(field.selectionSet)} hasMore } }`,
    ...fragments,
  ].join('\n');
  return { subscription: print(bound.document), afterVariable: bound.variable, responseKey: field.alias?.value ?? 'messageReceived', catchUp };
}

/**
 * Makes `field`'s `after` argument a variable, so the client can move the cursor on every resume:
 * kept when it already is one, otherwise `after: $switchboardAfter` (a literal `after` becomes the
 * variable's default).
 */
function bindAfter(document: DocumentNode, field: FieldNode): { document: DocumentNode; variable: string } {
  const existing = field.arguments?.find((argument) => argument.name.value === 'after');
  if (existing?.value.kind === Kind.VARIABLE) return { document, variable: existing.value.name.value };
  const variable = 'switchboardAfter';
  const name = { kind: Kind.NAME, value: variable } as const;
  const newField: FieldNode = {
    ...field,
    arguments: [
      ...(field.arguments ?? []).filter((argument) => argument !== existing),
      { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'after' }, value: { kind: Kind.VARIABLE, name } },
    ],
  };
  const definitions = document.definitions.map((definition) => {
    if (definition.kind !== Kind.OPERATION_DEFINITION || !definition.selectionSet.selections.includes(field)) return definition;
    return {
      ...definition,
      variableDefinitions: [
        ...(definition.variableDefinitions ?? []),
        {
          kind: Kind.VARIABLE_DEFINITION,
          variable: { kind: Kind.VARIABLE, name },
          type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } },
          ...(existing === undefined ? {} : { defaultValue: existing.value }),
        },
      ],
      selectionSet: { ...definition.selectionSet, selections: [newField] },
    } as OperationDefinitionNode;
  });
  return { document: { ...document, definitions }, variable };
}
