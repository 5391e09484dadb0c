import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { maskError, processRegularResult } from 'graphql-yoga';
import { UNEXPECTED_ERROR_MESSAGE, type Yoga } from '../../graphql/yoga.ts';
import { asGraphQLError } from '../../graphql/errors.ts';

/** What a runtime reads off an HTTP request before its body: enough to know whether {@link GraphqlPost} takes it. */
export interface PostHead {
  readonly method: string;
  /** The request target as sent: path and query string. */
  readonly target: string;
  readonly contentType: string | undefined;
  readonly contentLength: string | undefined;
  readonly accept: string | undefined;
  readonly origin: string | undefined;
  readonly authorization: string | undefined;
  /** The W3C trace context header (tracing continues the caller's trace). */
  readonly traceparent: string | undefined;
}

/** A response as plain values, for a runtime to write however is cheapest. */
export interface PlainResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The media type each accepted `Accept` value is answered in (yoga's choice for the same value). */
const ANSWERED_IN: ReadonlyMap<string | undefined, string> = new Map([
  [undefined, 'application/json'],
  ['*/*', 'application/json'],
  ['application/json', 'application/json'],
  ['application/graphql-response+json', 'application/graphql-response+json'],
]);
const JSON_TYPES: ReadonlySet<string> = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);
const PARAMS: ReadonlySet<string> = new Set(['query', 'variables', 'operationName', 'extensions']);
/** Documents remembered as valid ({@link GraphqlPost}): as many as yoga's own document cache holds. */
const VALID_DOCUMENTS = 256;

interface Params {
  readonly query: string;
  readonly variables?: Record<string, unknown> | null;
  readonly operationName?: string | null;
  readonly extensions?: Record<string, unknown> | null;
}

/**
 * The common case of GraphQL over HTTP — a JSON `POST /graphql` of a query or mutation — served
 * without yoga's request pipeline and without fetch objects, for every runtime (app.ts's fetch
 * handler on Deno, node:http directly on Node). Everything else, and anything unusual about such a
 * request, goes to yoga, and the choice is made before anything runs: the head ({@link accepts}:
 * method, exact path, JSON content type, an `Accept` it answers like yoga, a `Content-Length` within
 * MAX_PAYLOAD_BYTES, no `Origin` outside ALLOWED_ORIGINS), then the body ({@link answer} returns
 * `undefined`: not JSON, other parameters than GraphQL's, a document that does not parse or validate,
 * a subscription). What it runs is yoga's own envelop — the same parse and validation caches, query
 * limits, masking, error codes and context as every other transport — and a result with errors is
 * rendered by yoga's own result processor, so status codes and bodies are yoga's.
 *
 * A document that parsed and validated is remembered by its text (the last {@link VALID_DOCUMENTS},
 * for the schema it validated against), and the next request with the same text goes straight to
 * the context and execution: the parse and validation hooks — the query limits, graphql-armor's
 * rules, yoga's caches — are functions of the text and the schema alone, so they would answer the
 * same, but envelop calls each of them per request with a payload of closures, which was about 40 %
 * of the garbage a send made (BENCHMARKS.md, "the allocation per send"). A document that fails is
 * never remembered: it is parsed and validated, and refused, every time.
 */
export class GraphqlPost {
  readonly #yoga: Yoga;
  readonly #path: string;
  readonly #maxPayloadBytes: number;
  readonly #allowedOrigins: readonly string[] | undefined;
  /** Texts that parsed and validated against {@link #validFor}, oldest first. */
  readonly #valid = new Map<string, DocumentNode>();
  #validFor: GraphQLSchema | undefined;

  constructor(options: { yoga: Yoga; path: string; maxPayloadBytes: number; allowedOrigins: readonly string[] | undefined }) {
    this.#yoga = options.yoga;
    this.#path = options.path;
    this.#maxPayloadBytes = options.maxPayloadBytes;
    this.#allowedOrigins = options.allowedOrigins;
  }

  /** Whether a request with this head is served here (its body still to be read). */
  accepts(head: PostHead): boolean {
    return (
      head.method === 'POST' &&
      head.target === this.#path &&
      head.contentType !== undefined &&
      JSON_TYPES.has(head.contentType.toLowerCase()) &&
      ANSWERED_IN.has(head.accept) &&
      head.contentLength !== undefined &&
      /^\d{1,9}$/u.test(head.contentLength) &&
      Number(head.contentLength) <= this.#maxPayloadBytes &&
      (head.origin === undefined || this.#allowedOrigins === undefined || this.#allowedOrigins.includes(head.origin))
    );
  }

  /** The response to an accepted request with `body`, or `undefined` to leave it to yoga (nothing has run). */
  async answer(head: PostHead, body: string): Promise<PlainResponse | undefined> {
    const params = graphqlParams(body);
    if (params === undefined) return undefined;
    const { parse, validate, contextFactory, execute, schema } = this.#yoga.getEnveloped({ request: requestOf(head), params });
    if (this.#validFor !== schema) {
      this.#valid.clear();
      this.#validFor = schema;
    }
    const document = this.#valid.get(params.query) ?? this.#validated(params.query, () => parse(params.query), (parsed) => validate(schema, parsed).length === 0);
    if (document === undefined) return undefined;
    const operationName = params.operationName ?? undefined;
    const operation = getOperationAST(document, operationName);
    if (operation?.operation !== 'query' && operation?.operation !== 'mutation') return undefined;
    let result: ExecutionResult;
    try {
      result = (await execute({
        schema,
        document,
        operationName,
        variableValues: params.variables ?? undefined,
        contextValue: await contextFactory(),
      })) as ExecutionResult;
    } catch (error) {
      // As yoga answers a request whose execution threw: masked (500), and logged once.
      this.#yoga.logger.error(error);
      result = { errors: [asGraphQLError(maskError(error, UNEXPECTED_ERROR_MESSAGE))] };
    }
    const type = ANSWERED_IN.get(head.accept) ?? 'application/json';
    if (result.errors === undefined && result.extensions === undefined) {
      return { status: 200, headers: { 'content-type': `${type}; charset=utf-8` }, body: JSON.stringify(result) };
    }
    const response = await processRegularResult(result, this.#yoga.fetchAPI, type);
    return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
  }

  /** `text` parsed and validated (then remembered), or `undefined` when it does not parse or validate. */
  #validated(text: string, parse: () => DocumentNode, valid: (document: DocumentNode) => boolean): DocumentNode | undefined {
    let document: DocumentNode;
    try {
      document = parse();
    } catch {
      return undefined;
    }
    if (!valid(document)) return undefined;
    if (this.#valid.size >= VALID_DOCUMENTS) this.#valid.delete(this.#valid.keys().next().value as string);
    this.#valid.set(text, document);
    return document;
  }
}

/**
 * The request as the envelop level sees it: what yoga's plugins (its mutation-over-GET check, which
 * also codes parse errors) and the context (`Authorization`) read of it — its method and headers.
 */
function requestOf(head: PostHead): Request {
  const headers: Record<string, string | undefined> = {
    accept: head.accept,
    authorization: head.authorization,
    traceparent: head.traceparent,
    'content-type': head.contentType,
    'content-length': head.contentLength,
    origin: head.origin,
  };
  // Not a whole Request: nothing at the envelop level reads more than these (the tests run every
  // transport's cases through this path and through yoga's).
  return { method: head.method, headers: { get: (name: string) => headers[name.toLowerCase()] ?? null } } as unknown as Request;
}

/** The body as GraphQL-over-HTTP parameters, or `undefined` when it is anything else (yoga answers that). */
function graphqlParams(body: string): Params | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!PARAMS.has(key)) return undefined;
  const { query, variables, operationName, extensions } = record;
  if (typeof query !== 'string') return undefined;
  if (!isObjectOrAbsent(variables) || !isObjectOrAbsent(extensions)) return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
  return value as Params;
}

function isObjectOrAbsent(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value));
}

/** The head of a fetch `Request`, for {@link GraphqlPost.accepts}. */
export function headOf(request: Request): PostHead {
  const url = new URL(request.url);
  const header = (name: string) => request.headers.get(name) ?? undefined;
  return {
    method: request.method,
    target: url.pathname + url.search,
    contentType: header('content-type'),
    contentLength: header('content-length'),
    accept: header('accept'),
    origin: header('origin'),
    authorization: header('authorization'),
    traceparent: header('traceparent'),
  };
}

/** `answer` as a fetch `Response`. */
export function toResponse(answer: PlainResponse): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
