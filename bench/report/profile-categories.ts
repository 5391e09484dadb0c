/**
 * Groups profile frames into the few costs that explain where a node's CPU goes, by where the code
 * lives (its package or Node module) and, for native frames, by name. First matching rule wins.
 */
const RULES: ReadonlyArray<readonly [category: string, test: (owner: string, fn: string) => boolean]> = [
  ['JWT verification (jose, fast-jwt, node:crypto)', (o) => o === 'jose' || o === 'fast-jwt' || o.startsWith('node:internal/crypto') || o === 'node:internal/worker/js_transferable'],
  ['garbage collection', (o) => o === '(garbage collector)'],
  ['socket writes (native)', (o, f) => o === '(native)' && /^write/u.test(f)],
  ['JSON (native)', (o, f) => o === '(native)' && (f === 'parse' || f === 'stringify')],
  ['HTTP adapter (@whatwg-node, node:http, streams, AbortSignal + its DOMException; fastify)', (o) => o.startsWith('@whatwg-node/') || /^(fastify|find-my-way|avvio|@fastify\/.+|fast-json-stringify|fast-querystring|secure-json-parse|toad-cache)$/u.test(o) || o === 'node:internal/per_context/domexception' || /^node:(_http|internal\/streams|internal\/abort_controller|internal\/event_target|internal\/webstreams)/u.test(o)],
  ['GraphQL (yoga, envelop, graphql-tools, graphql, graphql-jit, graphql-ws, armor, scalars, mercurius)', (o) => /^(graphql-yoga|@envelop\/|@graphql-tools\/|@graphql-yoga\/|graphql$|graphql-jit$|graphql-ws|graphql-scalars|@escape\.tech\/|mercurius$)/u.test(o)],
  ['Redis client (ioredis, graphql-redis-subscriptions, mqemitter-redis)', (o) => /^(ioredis|@ioredis\/.+|graphql-redis-subscriptions|redis-parser|denque|cluster-key-slot|standard-as-callback|mqemitter|mqemitter-redis|msgpack-lite|hyperid)$/u.test(o)],
  ['ws', (o) => o === 'ws'],
  ['switchboard code', (o) => o.startsWith('switchboard ')],
  ['reference server code (bench/)', (o) => o.startsWith('bench ')],
  ['promise and event machinery', (o, f) => o === 'node:events' || o === 'node:internal/process/task_queues' || o === 'node:internal/timers' || (o === '(native)' && f === 'runMicrotasks') || o === '@repeaterjs/repeater' || o === 'readable-stream'],
  ['sockets and buffers (node:net, node:buffer)', (o) => /^node:(net|buffer|internal\/stream_base_commons|internal\/buffer)/u.test(o)],
  ['logging (pino)', (o) => /^(pino|sonic-boom|pino-std-serializers|fast-redact|quick-format-unescaped|safe-stable-stringify)$/u.test(o)],
  ['(program): V8 and native glue', (o) => o === '(program)'],
  ['Deno runtime (ext:*: Deno.serve, WebSocket, streams, timers)', (o) => o.startsWith('ext:')],
];

/** The category of a frame, `other` when no rule matches. */
export function categorize(owner: string, functionName: string): string {
  return RULES.find(([, test]) => test(owner, functionName))?.[0] ?? 'other';
}
