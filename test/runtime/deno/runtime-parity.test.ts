import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CONFIG_VARIABLES } from '../../../src/app/config.ts';
import { connect, post, SEND, subscribeReady, type GraphQLResponse } from '../../helpers/graphql-client.ts';
import { runMain, serviceCommand, startNode, type NodeProcess, type Runtime } from '../../helpers/node-process.ts';
import { TEST_JWT_SECRET, tokenFor } from '../../helpers/tokens.ts';
import { waitFor } from '../../helpers/wait-for.ts';

// One contract, two hosts: every request here goes to a Node node and to a Deno node, and the two
// answers must be equal. Coded errors coming through on Deno also prove it loads one copy of graphql
// (with two, `instanceof GraphQLError` fails and yoga masks them as "Unexpected error.").

const RUNTIMES: readonly Runtime[] = ['node', 'deno'];

/** What a raw graphql-transport-ws handshake led to: the first message, a close, or a failed handshake. */
type Handshake =
  | { protocol: string; message: unknown }
  | { protocol: string; close: { code: number; reason: string } }
  | { error: string };

function handshake(url: string, protocols: string[], payload: unknown): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, protocols);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload })));
    socket.once('message', (data) => {
      resolve({ protocol: socket.protocol, message: JSON.parse(String(data)) });
      socket.close();
    });
    socket.once('close', (code, reason) => resolve({ protocol: socket.protocol, close: { code, reason: reason.toString() } }));
    socket.once('error', (error) => resolve({ error: error.message }));
  });
}

describe('a Node node and a Deno node answer alike', () => {
  const nodes = {} as Record<Runtime, NodeProcess>;
  beforeAll(async () => {
    const started = await Promise.all(RUNTIMES.map((runtime) => startNode({ MAX_MESSAGE_BYTES: '8' }, { runtime })));
    RUNTIMES.forEach((runtime, i) => (nodes[runtime] = started[i] as NodeProcess));
  });
  afterAll(async () => {
    await Promise.all(Object.values(nodes).map((node) => node.stop()));
  });

  /** Sends the same request to both nodes and returns the Node answer after checking Deno's equals it. */
  async function both<T>(request: (node: NodeProcess) => Promise<T>): Promise<T> {
    const [onNode, onDeno] = await Promise.all(RUNTIMES.map((runtime) => request(nodes[runtime])));
    expect(onDeno).toEqual(onNode);
    return onNode as T;
  }
  const codes = (response: GraphQLResponse) => response.errors?.map((error) => error.extensions?.code);

  it.each([
    ['me without a token', '{ me }', {}, undefined, 'UNAUTHENTICATED'],
    ['me with a token signed with another secret', '{ me }', {}, 'other-secret', 'UNAUTHENTICATED'],
    ['an empty body', SEND, { to: 'bob', body: '' }, 'alice', 'BAD_USER_INPUT'],
    ['a body over MAX_MESSAGE_BYTES', SEND, { to: 'bob', body: 'nine byte' }, 'alice', 'BAD_USER_INPUT'],
    ['an invalid recipient', SEND, { to: '', body: 'hi' }, 'alice', 'BAD_USER_INPUT'],
    ['a query that does not parse', '{ me', {}, 'alice', 'GRAPHQL_PARSE_FAILED'],
    ['a field that does not exist', '{ nobody }', {}, 'alice', 'GRAPHQL_VALIDATION_FAILED'],
  ])('over HTTP, %s gets the same coded error', async (_name, query, variables, user, code) => {
    const token =
      user === undefined
        ? undefined
        : await tokenFor(user === 'other-secret' ? 'alice' : user, user === 'other-secret' ? { secret: `${TEST_JWT_SECRET}-other` } : {});
    const response = await both((node) => post(node.url, query, variables, token));
    expect(codes(response)).toEqual([code]);
  });

  it('over graphql-ws, a mutation with an empty body gets the same BAD_USER_INPUT', async () => {
    const token = await tokenFor('alice');
    const response = await both(async (node) => {
      const client = connect(node.wsUrl, token);
      try {
        const results = client.iterate({ query: SEND, variables: { to: 'bob', body: '' } });
        const first = await results.next();
        return first.value as GraphQLResponse;
      } finally {
        await client.dispose();
      }
    });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
  });

  it.each([
    ['graphql-transport-ws with a valid token: acknowledged', ['graphql-transport-ws'], 'valid', { protocol: 'graphql-transport-ws', message: { type: 'connection_ack' } }],
    ['graphql-transport-ws among other offers: selected and acknowledged', ['chat', 'graphql-transport-ws'], 'valid', { protocol: 'graphql-transport-ws', message: { type: 'connection_ack' } }],
    ['no subprotocol: closed with 4406', [], 'valid', { protocol: '', close: { code: 4406, reason: 'Subprotocol not acceptable' } }],
    ['only the legacy graphql-ws subprotocol: handshake refused', ['graphql-ws'], 'valid', { error: 'Server sent no subprotocol' }],
    ['graphql-transport-ws without a token: closed with 4403', ['graphql-transport-ws'], 'none', { protocol: 'graphql-transport-ws', close: { code: 4403, reason: 'Forbidden' } }],
  ])('a socket offering %s', async (_name, protocols, auth, expected) => {
    const payload = auth === 'valid' ? { authorization: `Bearer ${await tokenFor('alice')}` } : {};
    expect(await both((node) => handshake(node.wsUrl, protocols, payload))).toEqual(expected);
  });
});

describe("deno.json's start task", () => {
  it('grants the network, exactly the configuration variables (every other reads as unset) and the hostname pino asks for', () => {
    const { args } = serviceCommand('deno');
    const allowEnv = args.find((arg) => arg.startsWith('--allow-env='));
    expect(allowEnv?.slice('--allow-env='.length).split(',').sort()).toEqual(CONFIG_VARIABLES.map(({ name }) => name).sort());
    expect(args.filter((arg) => arg !== allowEnv)).toEqual(['run', '--allow-net', '--ignore-env', '--allow-sys=hostname', 'src/main-deno.ts']);
  });

  it('a configuration variable left out of --allow-env stops the start with exit 78, naming it', () => {
    const { command, args, env } = serviceCommand('deno');
    const narrowed = args.map((arg) => (arg.startsWith('--allow-env=') ? arg.replace(',HISTORY_TTL_SECONDS', '') : arg));
    const result = spawnSync(command, narrowed, {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      env: { PATH: process.env['PATH'], ...env, PORT: '0' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect({ code: result.status, stderr: result.stderr }).toEqual({
      code: 78,
      stderr: "switchboard: Cannot read HISTORY_TTL_SECONDS: Deno does not allow it: add it to --allow-env in deno.json's start task\n",
    });
  });
});

describe.each(RUNTIMES)('the command line on %s', (runtime) => {
  it('lists every configuration variable with --help', async () => {
    const { code, stdout } = await runMain({}, ['--help'], { runtime });
    expect(code).toBe(0);
    for (const { name } of CONFIG_VARIABLES) expect(stdout).toContain(name);
  });

  it('refuses a bad value with exit code 78, naming the variable, the value and what is allowed', async () => {
    const { code, stderr } = await runMain({ ROUTING: 'everyone', PORT: '0' }, [], { runtime });
    expect({ code, stderr }).toEqual({
      code: 78,
      stderr: "switchboard: Invalid ROUTING: expected one of user, broadcast: current value 'everyone'\n",
    });
  });

  it('refuses to start in production without JWT configuration', async () => {
    const { code, stderr } = await runMain({ NODE_ENV: 'production', PORT: '0' }, [], { runtime });
    expect({ code, stderr }).toEqual({
      code: 78,
      stderr: 'switchboard: Cannot start in production: no JWT configuration: set JWT_SECRET or JWT_JWKS_URL (NODE_ENV is production)\n',
    });
  });

  it('warns loudly when it uses the development secret, and serves /dev/token', async () => {
    const node = await startNode({ JWT_SECRET: undefined }, { runtime });
    try {
      const warning = node.logs.find((line) => String(line['msg']).startsWith('USING THE FIXED DEVELOPMENT JWT SECRET'));
      expect(warning?.['level']).toBe(40);
      const response = await fetch(new URL('/dev/token', node.url), { method: 'POST', body: JSON.stringify({ userId: 'alice' }) });
      const { token } = (await response.json()) as { token: string };
      expect((await post(node.url, '{ me }', {}, token)).data).toEqual({ me: 'alice' });
    } finally {
      await node.stop();
    }
  });

  it('on SIGTERM closes sockets with 1001, ends SSE streams and exits 0', async () => {
    const node = await startNode({}, { runtime });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      const socket = new WebSocket(node.wsUrl, 'graphql-transport-ws');
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    const client = connect(node.wsUrl, await tokenFor('bob'));
    const inbox = await subscribeReady(client, { userId: 'bob', sendUrl: node.url, probeToken: await tokenFor('probe') });
    const sse = await fetch(node.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${await tokenFor('carol')}` },
      body: JSON.stringify({ query: 'subscription { messageReceived { body } }' }),
    });
    const sseEnded = (async () => {
      const reader = (sse.body as ReadableStream<Uint8Array>).getReader();
      try {
        while (!(await reader.read()).done);
      } catch {
        // a reset connection ends the stream too
      }
      return true;
    })();

    await node.stop();
    expect(await closed).toEqual({ code: 1001, reason: 'Going away' });
    await waitFor('the graphql-ws subscription to see the close', () => inbox.errors.length > 0 || inbox.completed);
    expect(await sseEnded).toBe(true);
    expect(node.exitCode).toBe(0);
    expect(node.logs.some((line) => line['msg'] === 'shutting down')).toBe(true);
    await client.dispose();
  });
});
