import type { Client } from 'graphql-ws';
import { generateKeyPair } from 'jose';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, post, SEND, subscribeReady, type Inbox } from '../helpers/graphql-client.ts';
import { startNode, type NodeProcess, type Runtime } from '../helpers/node-process.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { closeCodeAfter, httpOutcome, rawSocket, sseOutcome, wsOutcome, type Outcome } from './hostile-clients.ts';
import { startIdentityProvider, unsignedToken, type IdentityProvider } from './identity-provider.ts';

/**
 * The hostile-input catalogue: every entry is one bad input with the exact error code, HTTP status or
 * close code it must get, and after every entry a witness client on the same node must still receive
 * a fresh message. GraphQL entries run on all three transports (HTTP, SSE, graphql-ws) with the same
 * expectation: a rule that held only on HTTP would fail here. Frame-level entries run on Node and Deno
 * (each runtime has its own frame path). The node runs in production mode with small limits.
 */

const LIMITS = {
  NODE_ENV: 'production',
  JWT_CLOCK_SKEW_SECONDS: '0',
  MAX_PAYLOAD_BYTES: '8192',
  MAX_DOCUMENT_CHARACTERS: '6000',
  MAX_DEPTH: '2',
  MAX_ALIASES: '5',
  MAX_TOKENS: '300',
  MAX_COST: '200',
  MAX_DIRECTIVES: '5',
  MAX_SUBSCRIPTIONS_PER_CONNECTION: '3',
  CONNECTION_INIT_TIMEOUT_MS: '1000',
  MAX_CONNECTIONS_PER_USER: '3',
  SEND_RATE_PER_SECOND: '1',
  SEND_BURST: '5',
  ALLOWED_ORIGINS: 'https://app.test',
};

const SUB = 'subscription { messageReceived { id body } }';

interface Case {
  readonly name: string;
  readonly run: () => Promise<Outcome>;
  readonly expected: Outcome;
}

interface World {
  node: NodeProcess;
  idp: IdentityProvider;
  /** A token for a user no other entry uses (limits are per user). */
  fresh(): Promise<string>;
}

let counter = 0;
const user = () => `user-${(counter += 1)}`;

/** GraphQL documents refused alike on every transport. */
const DOCUMENTS: ReadonlyArray<{ name: string; body: { query: string; variables?: Record<string, unknown> }; expected: Outcome }> = [
  { name: 'a syntax error', body: { query: 'subscription { messageReceived { id ' }, expected: { code: 'GRAPHQL_PARSE_FAILED' } },
  { name: 'an unknown field, without "Did you mean" in production', body: { query: 'subscription { messageReceivd { id } }' }, expected: { code: 'GRAPHQL_VALIDATION_FAILED', suggests: false } },
  {
    name: 'a wrongly typed variable',
    body: { query: 'query ($after: ID) { messages(after: $after) { hasMore } }', variables: { after: { nested: true } } },
    expected: { code: 'BAD_USER_INPUT' },
  },
  {
    name: 'two operations and no operationName',
    body: { query: 'subscription A { messageReceived { id } } subscription B { messageReceived { body } }' },
    expected: { code: 'OPERATION_RESOLUTION_FAILURE' },
  },
  { name: 'a document over MAX_DOCUMENT_CHARACTERS', body: { query: `${SUB}${' '.repeat(6500)}` }, expected: { code: 'LIMIT_EXCEEDED', limit: 'maxDocumentCharacters' } },
  { name: 'a document over MAX_TOKENS', body: { query: `subscription { messageReceived { ${'id '.repeat(400)} } }` }, expected: { code: 'LIMIT_EXCEEDED', limit: 'maxTokens' } },
  {
    name: 'an alias bomb',
    body: { query: `subscription { messageReceived { ${Array.from({ length: 40 }, (_, i) => `a${i}: id`).join(' ')} } }` },
    expected: { code: 'LIMIT_EXCEEDED', limit: 'maxAliases' },
  },
  {
    name: 'a fragment bomb (each fragment spreads the next twice)',
    body: {
      query: `subscription { messageReceived { ...F0 } } ${Array.from({ length: 12 }, (_, i) => `fragment F${i} on Message { id ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F12 on Message { id }`,
    },
    expected: { code: 'LIMIT_EXCEEDED', limit: 'maxCost' },
  },
  {
    name: 'circular fragments',
    body: { query: 'subscription { messageReceived { ...A } } fragment A on Message { id ...B } fragment B on Message { body ...A }' },
    // graphql-armor's depth count follows the cycle until the limit, before graphql-js reports the cycle.
    expected: { code: 'LIMIT_EXCEEDED', limit: 'maxDepth' },
  },
  { name: 'a query deeper than MAX_DEPTH', body: { query: '{ messages { items { id } } }' }, expected: { code: 'LIMIT_EXCEEDED', limit: 'maxDepth' } },
  {
    name: 'directives over MAX_DIRECTIVES',
    body: { query: `subscription { messageReceived { ${Array.from({ length: 8 }, () => 'id @include(if: true)').join(' ')} } }` },
    expected: { code: 'LIMIT_EXCEEDED', limit: 'maxDirectives' },
  },
  {
    name: 'a directive on an undefined variable (a validation rule throws)',
    body: { query: 'subscription { messageReceived { id @include(if: $undefined) } }' },
    expected: { code: 'GRAPHQL_VALIDATION_FAILED' },
  },
  { name: 'introspection of __schema where it is off', body: { query: '{ __schema { queryType { name } } }' }, expected: { code: 'FORBIDDEN' } },
  { name: 'introspection of __type where it is off', body: { query: '{ __type(name: "Message") { name } }' }, expected: { code: 'FORBIDDEN' } },
  {
    name: 'a forged sender argument',
    body: { query: 'mutation { sendMessage(toUserId: "bob", body: "x", fromUserId: "eve") { id } }' },
    expected: { code: 'GRAPHQL_VALIDATION_FAILED' },
  },
  { name: 'a forged subscription target', body: { query: 'subscription { messageReceived(userId: "bob") { id } }' }, expected: { code: 'GRAPHQL_VALIDATION_FAILED' } },
];

function frameCases(world: World): Case[] {
  const url = () => world.node.wsUrl;
  const auth = async () => ({ authorization: `Bearer ${await world.fresh()}` });
  const subscribe = (id: unknown, query: unknown = SUB) => JSON.stringify({ type: 'subscribe', id, payload: { query } });
  return [
    { name: 'a frame that is not JSON', run: () => closeCodeAfter(url(), ['hello']), expected: { close: 4400 } },
    { name: 'a binary frame of garbage', run: () => closeCodeAfter(url(), [{ binary: Buffer.from([0xff, 0x00, 0x13]) }]), expected: { close: 4400 } },
    {
      name: 'a binary frame carrying a valid connection_init',
      run: async () => closeCodeAfter(url(), [{ binary: Buffer.from(JSON.stringify({ type: 'connection_init', payload: await auth() })) }]),
      expected: { close: 4400 },
    },
    { name: 'a JSON array', run: () => closeCodeAfter(url(), ['[]']), expected: { close: 4400 } },
    { name: 'JSON null', run: () => closeCodeAfter(url(), ['null']), expected: { close: 4400 } },
    { name: 'a message without type', run: () => closeCodeAfter(url(), ['{"payload":{}}']), expected: { close: 4400 } },
    { name: 'a type that is a number', run: () => closeCodeAfter(url(), ['{"type":42}']), expected: { close: 4400 } },
    { name: 'an unknown message type', run: () => closeCodeAfter(url(), ['{"type":"hack","payload":{}}']), expected: { close: 4400 } },
    { name: 'a message only a server sends (connection_ack), after connection_init', run: async () => closeCodeAfter(url(), ['{"type":"connection_ack"}'], { init: await auth() }), expected: { close: 4400 } },
    {
      name: 'a message only a server sends (next), after connection_init',
      run: async () => closeCodeAfter(url(), ['{"type":"next","id":"1","payload":{"data":null}}'], { init: await auth() }),
      expected: { close: 4400 },
    },
    { name: 'a subscribe whose id is a number', run: async () => closeCodeAfter(url(), [subscribe(7)], { init: await auth() }), expected: { close: 4400 } },
    { name: 'a subscribe whose id is empty', run: async () => closeCodeAfter(url(), [subscribe('')], { init: await auth() }), expected: { close: 4400 } },
    { name: 'a subscribe whose query is a number', run: async () => closeCodeAfter(url(), [subscribe('1', 42)], { init: await auth() }), expected: { close: 4400 } },
    { name: 'a subscribe before connection_init', run: () => closeCodeAfter(url(), [subscribe('1')]), expected: { close: 4401 } },
    { name: 'a second connection_init', run: async () => closeCodeAfter(url(), [JSON.stringify({ type: 'connection_init', payload: await auth() })], { init: await auth() }), expected: { close: 4429 } },
    { name: 'a duplicate operation id', run: async () => closeCodeAfter(url(), [subscribe('dup'), subscribe('dup')], { init: await auth() }), expected: { close: 4409 } },
    { name: 'an oversized frame before connection_init', run: () => closeCodeAfter(url(), [JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(9000) } })]), expected: { close: 1009 } },
    { name: 'an oversized frame after connection_init', run: async () => closeCodeAfter(url(), [subscribe('big', `${SUB}${' '.repeat(9000)}`)], { init: await auth() }), expected: { close: 1009 } },
    {
      name: 'deeply nested JSON in connection_init (no authorization inside)',
      run: () => closeCodeAfter(url(), [`{"type":"connection_init","payload":${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}`]),
      expected: { close: 4403 },
    },
    { name: 'a deeply nested JSON array', run: () => closeCodeAfter(url(), [`${'['.repeat(4000)}${']'.repeat(4000)}`]), expected: { close: 4400 } },
    { name: 'no subprotocol', run: () => closeCodeAfter(url(), [], { protocol: null }), expected: { close: 4406 } },
    { name: 'a ping whose payload is not an object', run: () => closeCodeAfter(url(), ['{"type":"ping","payload":"x"}']), expected: { close: 4400 } },
    { name: 'no connection_init within CONNECTION_INIT_TIMEOUT_MS', run: () => closeCodeAfter(url(), []), expected: { close: 4408 } },
    { name: 'an upgrade from an origin not in ALLOWED_ORIGINS', run: () => closeCodeAfter(url(), [], { headers: { origin: 'https://evil.test' } }), expected: { close: 403 } },
  ];
}

function tokenCases(world: World): Case[] {
  const { idp } = world;
  const init = (authorization: unknown) => closeCodeAfter(world.node.wsUrl, [JSON.stringify({ type: 'connection_init', payload: { authorization } })]);
  const bearer = async (make: () => Promise<string> | string) => `Bearer ${await make()}`;
  const tokens: Array<[string, () => Promise<unknown> | unknown]> = [
    ['no token', () => undefined],
    ['a token that is not a JWT', () => 'Bearer not.a.jwt'],
    ['a token without the Bearer scheme', async () => idp.token(user())],
    ['an alg none token', () => `Bearer ${unsignedToken(user())}`],
    ['HS/RS confusion: HS256 signed with the public key', () => bearer(() => idp.token(user(), { alg: 'HS256', key: new TextEncoder().encode(idp.publicPem) }))],
    ['an RS256 token signed by a stranger under the known key id', async () => bearer(async () => idp.token(user(), { key: (await generateKeyPair('RS256')).privateKey }))],
    ['an unknown key id', async () => bearer(async () => idp.token(user(), { kid: 'k-unknown', key: (await generateKeyPair('RS256')).privateKey }))],
    ['an expired token', () => bearer(() => idp.token(user(), { expiresIn: -5 }))],
    ['a token not valid yet (nbf)', () => bearer(() => idp.token(user(), { notBeforeIn: 60 }))],
    ['a wrong issuer', () => bearer(() => idp.token(user(), { issuer: 'https://evil.test/' }))],
    ['a wrong audience', () => bearer(() => idp.token(user(), { audience: 'other' }))],
  ];
  const cases: Case[] = tokens.map(([name, make]) => ({ name: `graphql-ws: ${name}`, run: async () => init(await make()), expected: { close: 4403 } }));
  const http = (name: string, make: () => Promise<string | undefined>) => ({
    name: `HTTP: ${name}`,
    run: async () => {
      const token = await make();
      return httpOutcome(world.node.url, { query: SEND, variables: { to: 'bob', body: 'x' } }, token === undefined ? {} : { headers: { authorization: token } });
    },
    expected: { status: 200, code: 'UNAUTHENTICATED' },
  });
  cases.push(
    http('no token', async () => undefined),
    http('a token that is not a JWT', async () => 'Bearer not.a.jwt'),
    http('an alg none token', async () => `Bearer ${unsignedToken(user())}`),
    http('an expired token', () => bearer(() => idp.token(user(), { expiresIn: -5 }))),
    http('a wrong audience', () => bearer(() => idp.token(user(), { audience: 'other' }))),
    {
      name: 'SSE: an expired token',
      run: async () => sseOutcome(world.node.url, { query: SUB }, await idp.token(user(), { expiresIn: -5 })),
      expected: { code: 'UNAUTHENTICATED' },
    },
  );
  return cases;
}

function httpCases(world: World): Case[] {
  const url = () => world.node.url;
  const body = JSON.stringify({ query: '{ __typename }' });
  return [
    // CSRF prevention answers before yoga's media type check (which would say 415).
    { name: 'a text/plain POST', run: () => httpOutcome(url(), body, { headers: { 'content-type': 'text/plain' } }), expected: { status: 403 } },
    {
      name: 'a form-encoded POST without the CSRF header',
      run: () => httpOutcome(url(), 'query=%7B__typename%7D', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      expected: { status: 403 },
    },
    {
      name: 'a multipart POST without the CSRF header',
      run: () => httpOutcome(url(), '--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}\r\n--b--\r\n', { headers: { 'content-type': 'multipart/form-data; boundary=b' } }),
      expected: { status: 403 },
    },
    { name: 'invalid JSON', run: () => httpOutcome(url(), '{"query": '), expected: { status: 400, code: 'BAD_REQUEST' } },
    { name: 'variables that are not an object', run: () => httpOutcome(url(), { query: '{ __typename }', variables: 3 }), expected: { status: 400, code: 'BAD_REQUEST' } },
    { name: 'a batched array of operations', run: () => httpOutcome(url(), [{ query: '{ __typename }' }, { query: '{ __typename }' }]), expected: { status: 400, code: 'BAD_REQUEST' } },
    { name: 'a body over MAX_PAYLOAD_BYTES', run: () => httpOutcome(url(), { query: `{ __typename }${' '.repeat(9000)}` }), expected: { status: 413, code: 'LIMIT_EXCEEDED', limit: 'maxPayloadBytes' } },
    { name: 'a chunked body over MAX_PAYLOAD_BYTES (no Content-Length)', run: () => chunkedPost(url(), 9000), expected: { status: 413, code: 'LIMIT_EXCEEDED', limit: 'maxPayloadBytes' } },
    {
      name: 'GET for a mutation',
      run: () => httpOutcome(`${url()}?query=${encodeURIComponent('mutation { sendMessage(toUserId: "b", body: "x") { id } }')}`, undefined, { method: 'GET' }),
      expected: { status: 405, code: 'BAD_REQUEST' },
    },
    {
      name: 'subscriptions POSTed with Accept: application/json (406, and none is left running)',
      run: async () => {
        const active = async () => Number(/^switchboard_subscriptions_active (\d+)/mu.exec(await (await fetch(url().replace('/graphql', '/metrics'))).text())?.[1]);
        const before = await active();
        let outcome: Outcome = {};
        for (let i = 0; i < 5; i += 1) outcome = await httpOutcome(url(), { query: SUB }, { token: await world.fresh() });
        return { ...outcome, limit: String((await active()) - before) };
      },
      expected: { status: 406, code: 'BAD_REQUEST', limit: '0' },
    },
    { name: 'a POST from an origin not in ALLOWED_ORIGINS', run: () => httpOutcome(url(), body, { headers: { origin: 'https://evil.test' } }), expected: { status: 403, code: 'FORBIDDEN' } },
  ];
}

/** POSTs a JSON body of about `bytes` with chunked transfer encoding. */
function chunkedPost(url: string, bytes: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        const first = (JSON.parse(text) as { errors: Array<{ extensions: { code: string; limit: string } }> }).errors[0];
        resolve({ status: response.statusCode ?? 0, code: first?.extensions.code, limit: first?.extensions.limit });
      });
    });
    request.on('error', reject);
    const padding = ' '.repeat(1000);
    request.write('{"query":"{ __typename }"');
    for (let sent = 0; sent < bytes; sent += padding.length) request.write(padding);
    request.end('}');
  });
}

function documentCases(world: World): Case[] {
  return DOCUMENTS.flatMap(({ name, body, expected }) => [
    { name: `HTTP: ${name}`, run: async () => withoutStatus(await httpOutcome(world.node.url, body, { token: await world.fresh() })), expected },
    { name: `SSE: ${name}`, run: async () => withoutStatus(await sseOutcome(world.node.url, body, await world.fresh())), expected },
    { name: `graphql-ws: ${name}`, run: async () => wsOutcome(world.node.wsUrl, body, await world.fresh()), expected },
  ]);
}

/** GraphQL-over-HTTP statuses differ by media type (400 or 200): the code is the rule. */
function withoutStatus(outcome: Outcome): Outcome {
  const { status: _status, ...rest } = outcome;
  return rest;
}

function limitCases(world: World): Case[] {
  const { idp } = world;
  const rateLimited = (transport: 'HTTP' | 'SSE' | 'graphql-ws'): Case => ({
    name: `${transport}: sendMessage past SEND_BURST gets RATE_LIMITED with retryAfterMs`,
    run: async () => {
      const token = await world.fresh();
      const send = { query: SEND, variables: { to: 'bob', body: 'x' } };
      for (let i = 0; i < 5; i += 1) await post(world.node.url, SEND, send.variables, token);
      if (transport === 'HTTP') return withoutStatus(await httpOutcome(world.node.url, send, { token }));
      if (transport === 'SSE') return sseOutcome(world.node.url, send, token);
      return wsOutcome(world.node.wsUrl, send, token);
    },
    expected: { code: 'RATE_LIMITED' },
  });
  return [
    rateLimited('HTTP'),
    rateLimited('SSE'),
    rateLimited('graphql-ws'),
    {
      name: 'graphql-ws: a subscribe past MAX_SUBSCRIPTIONS_PER_CONNECTION',
      run: async () => {
        const raw = await rawSocket(world.node.wsUrl);
        await raw.init({ authorization: `Bearer ${await world.fresh()}` });
        for (const id of ['1', '2', '3', '4']) raw.send(JSON.stringify({ type: 'subscribe', id, payload: { query: SUB } }));
        const error = await waitFor('the error frame', () => raw.frames.find((frame) => (frame as { type?: string }).type === 'error'));
        raw.socket.terminate();
        const payload = (error as { id: string; payload: Array<{ extensions: { code: string; limit: string } }> }).payload[0];
        return { code: payload?.extensions.code, limit: payload?.extensions.limit, close: Number((error as { id: string }).id) };
      },
      expected: { code: 'LIMIT_EXCEEDED', limit: 'maxSubscriptionsPerConnection', close: 4 },
    },
    {
      name: 'graphql-ws: a connection past MAX_CONNECTIONS_PER_USER',
      run: async () => {
        const userId = user();
        const open = await Promise.all([1, 2, 3].map(async () => {
          const raw = await rawSocket(world.node.wsUrl);
          await raw.init({ authorization: `Bearer ${await idp.token(userId)}` });
          return raw;
        }));
        const outcome = await closeCodeAfter(world.node.wsUrl, [JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await idp.token(userId)}` } })]);
        for (const raw of open) raw.socket.terminate();
        return outcome;
      },
      expected: { close: 4602 },
    },
    {
      name: 'SSE: a subscription past MAX_CONNECTIONS_PER_USER (sockets and streams count alike)',
      run: async () => {
        const userId = user();
        const open = await Promise.all([1, 2, 3].map(async () => {
          const raw = await rawSocket(world.node.wsUrl);
          await raw.init({ authorization: `Bearer ${await idp.token(userId)}` });
          return raw;
        }));
        const outcome = await sseOutcome(world.node.url, { query: SUB }, await idp.token(userId));
        for (const raw of open) raw.socket.terminate();
        return outcome;
      },
      expected: { code: 'LIMIT_EXCEEDED', limit: 'maxConnectionsPerUser' },
    },
    {
      name: 'SSE: a subscription from an origin not in ALLOWED_ORIGINS',
      run: async () => {
        const response = await fetch(world.node.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', origin: 'https://evil.test', authorization: `Bearer ${await world.fresh()}` },
          body: JSON.stringify({ query: SUB }),
        });
        const json = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
        return { status: response.status, code: json.errors[0]?.extensions.code };
      },
      expected: { status: 403, code: 'FORBIDDEN' },
    },
  ];
}

async function startWorld(runtime: Runtime): Promise<World & { witness: Client; inbox: Inbox; stop(): Promise<void> }> {
  const idp = await startIdentityProvider();
  const node = await startNode({ ...idp.env, ...LIMITS }, { runtime });
  const witness = connect(node.wsUrl, await idp.token('witness'));
  const inbox = await subscribeReady(witness, { userId: 'witness', sendUrl: node.url, probeToken: await idp.token('probe') });
  return {
    node,
    idp,
    fresh: () => idp.token(user()),
    witness,
    inbox,
    async stop() {
      await witness.dispose();
      await node.stop();
      await idp.close();
    },
  };
}

describe.each<Runtime>(['node', 'deno'])('hostile input catalogue on %s', (runtime) => {
  let world: Awaited<ReturnType<typeof startWorld>>;
  beforeAll(async () => {
    world = await startWorld(runtime);
  });
  afterAll(() => world?.stop());

  const lazy = (make: (world: World) => Case[]) => () => make(world);
  const groups: Array<[string, (world: World) => Case[]]> = [
    ['WebSocket frames', frameCases],
    ['tokens', tokenCases],
    ['HTTP requests', httpCases],
    ['GraphQL documents, on every transport', documentCases],
    ['limits, on every transport', limitCases],
  ];
  // The catalogue needs the world for its tokens, so cases are built per test from a static list of names.
  const probe: World = { node: undefined as unknown as NodeProcess, idp: undefined as unknown as IdentityProvider, fresh: async () => '' };
  for (const [group, make] of groups) {
    describe(group, () => {
      const names = make(probe).map((entry) => entry.name);
      it.each(names.map((name, index) => [name, index] as const))('%s', async (_name, index) => {
        const entry = lazy(make)()[index] as Case;
        expect(await entry.run()).toMatchObject(entry.expected);
        // The node still serves: the witness receives a message sent after the hostile input.
        const body = `still serving after #${index} of ${group}`;
        const sent = await post(world.node.url, SEND, { to: 'witness', body }, await world.fresh());
        expect(sent.errors).toBeUndefined();
        await waitFor(`the witness to receive '${body}'`, () => world.inbox.messages.some((message) => message.body === body));
      });
    });
  }

  it('has at least 40 entries', () => {
    expect(groups.reduce((sum, [, make]) => sum + make(probe).length, 0)).toBeGreaterThanOrEqual(40);
  });

  it('never logged a token, even one sent in a URL', async () => {
    const token = await world.idp.token(user());
    expect(await httpOutcome(`${world.node.url}?token=${token}&access_token=${token}`, { query: '{ me }' })).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await closeCodeAfter(`${world.node.wsUrl}?token=${token}`, [JSON.stringify({ type: 'connection_init', payload: {} })])).toEqual({ close: 4403 });
    const logs = JSON.stringify(world.node.logs);
    expect(logs).not.toContain(token);
    expect(logs).not.toMatch(/eyJ[\w-]+\.[\w-]+\./u);
  });
});
