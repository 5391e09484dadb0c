import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app/create-app.ts';
import { parseConfig } from '../../../src/app/config.ts';
import { SEND } from '../../helpers/graphql-client.ts';
import { TEST_JWT_SECRET, tokenFor } from '../../helpers/tokens.ts';

const NOW = Date.parse('2026-11-24T12:00:00.000Z');

/** Runs one GraphQL request through the app's fetch handler: no port, no process. */
async function graphql(app: App, body: unknown, token?: string) {
  const response = await app.fetch(
    new Request('http://switchboard.test/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...(token === undefined ? {} : { authorization: token }),
      },
      body: JSON.stringify(body),
    }),
  );
  // `any`: these tests assert on arbitrary JSON shapes; expect() is the type check.
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('GraphQL over HTTP through the fetch handler', () => {
  let app: App;
  let alice: string;
  beforeAll(async () => {
    app = createApp(parseConfig({ JWT_SECRET: TEST_JWT_SECRET, NODE_ID: 'in-process', MAX_MESSAGE_BYTES: '16' }), {
      now: () => NOW,
    });
    await app.start();
    alice = `Bearer ${await tokenFor('alice')}`;
  });
  afterAll(() => app.stop());

  it('answers { __typename } without a token', async () => {
    expect(await graphql(app, { query: '{ __typename }' })).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it('answers me with the token’s sub', async () => {
    expect((await graphql(app, { query: '{ me nodeId }' }, alice)).body).toEqual({ data: { me: 'alice', nodeId: 'in-process' } });
  });

  it.each([
    ['no token', undefined, 'Not authenticated: send a bearer token'],
    ['a malformed header', 'Token abc', 'Invalid authorization: expected "Bearer <token>"'],
    ['a bad token', 'Bearer not.a.jwt', 'Invalid token: it is malformed'],
  ])('refuses me with %s: UNAUTHENTICATED and why', async (_name, header, message) => {
    const { body } = await graphql(app, { query: '{ me }' }, header);
    expect(body['errors']).toEqual([expect.objectContaining({ message, extensions: { code: 'UNAUTHENTICATED' } })]);
  });

  it('sends a message as the authenticated user and returns it', async () => {
    const { body } = await graphql(app, { query: SEND, variables: { to: 'bob', body: 'hi bob' } }, alice);
    expect(body['data'].sendMessage).toEqual({
      id: expect.stringMatching(/^\d+-\d+$/),
      fromUserId: 'alice',
      toUserId: 'bob',
      body: 'hi bob',
      sentAt: '2026-11-24T12:00:00.000Z',
    });
  });

  it('refuses sendMessage without a token', async () => {
    const { body } = await graphql(app, { query: SEND, variables: { to: 'bob', body: 'x' } });
    expect(body['errors'][0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('has no argument that sets the sender', async () => {
    const { body } = await graphql(app, { query: 'mutation { sendMessage(toUserId: "bob", body: "x", fromUserId: "eve") { id } }' }, alice);
    expect(body['errors'][0].message).toMatch(/^Unknown argument "fromUserId" on field "Mutation.sendMessage"/);
  });

  it.each([
    ['an empty body', { to: 'bob', body: '' }, "Cannot send message: 'body' is empty"],
    ['a body over the byte limit', { to: 'bob', body: 'ü'.repeat(9) }, "Cannot send message: 'body' is longer than 16 bytes: current length 18"],
    ['an empty recipient', { to: '', body: 'x' }, "Cannot send message: 'toUserId' is invalid: it is empty"],
    ['a recipient with a space', { to: 'b b', body: 'x' }, "Cannot send message: 'toUserId' is invalid: it contains whitespace or a control character"],
    ['a recipient over 128 characters', { to: 'b'.repeat(129), body: 'x' }, "Cannot send message: 'toUserId' is invalid: it is longer than 128 characters: current length 129"],
  ])('refuses %s with BAD_USER_INPUT', async (_name, variables, message) => {
    const { body } = await graphql(app, { query: SEND, variables }, alice);
    expect(body['errors']).toEqual([expect.objectContaining({ message, extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
  });

  it('follows GraphQL over HTTP: queries over GET, no mutations over GET, 405 for other methods', async () => {
    const get = await app.fetch(new Request('http://switchboard.test/graphql?query=%7B__typename%7D', { headers: { accept: 'application/json' } }));
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
    const mutation = await app.fetch(
      new Request(`http://switchboard.test/graphql?query=${encodeURIComponent('mutation { sendMessage(toUserId:"b", body:"x") { id } }')}`, {
        headers: { accept: 'application/graphql-response+json', authorization: alice },
      }),
    );
    expect(mutation.status).toBe(405);
    const put = await app.fetch(new Request('http://switchboard.test/graphql', { method: 'PUT', body: '{}' }));
    expect(put.status).toBe(405);
  });

  it('has no /dev/token with a configured secret', async () => {
    const response = await app.fetch(new Request('http://switchboard.test/dev/token', { method: 'POST', body: '{"userId":"x"}' }));
    expect(response.status).toBe(404);
  });
});

describe('development mode', () => {
  let app: App;
  beforeAll(async () => {
    app = createApp(parseConfig({}));
    await app.start();
  });
  afterAll(() => app.stop());
  const devToken = (body: string, method = 'POST') =>
    app.fetch(new Request('http://switchboard.test/dev/token', { method, ...(method === 'POST' ? { body } : {}) }));

  it('issues a token with POST /dev/token that the node accepts', async () => {
    const response = await devToken('{"userId":"alice"}');
    expect(response.status).toBe(200);
    const issued = (await response.json()) as { token: string; userId: string; expiresAt: string };
    expect(issued.userId).toBe('alice');
    const { body } = await graphql(app, { query: '{ me }' }, `Bearer ${issued.token}`);
    expect(body).toEqual({ data: { me: 'alice' } });
  });

  it.each([
    ['not JSON', 'nope', "Cannot issue token: the body is not JSON"],
    ['no userId', '{}', 'Cannot issue token: expected a JSON body {"userId": string}'],
    ['an invalid userId', '{"userId":"a b"}', "Cannot issue token: 'userId' is invalid: it contains whitespace or a control character"],
  ])('refuses %s with 400 BAD_USER_INPUT', async (_name, body, message) => {
    const response = await devToken(body);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'BAD_USER_INPUT', message } });
  });

  it('answers 405 to GET /dev/token', async () => {
    expect((await devToken('', 'GET')).status).toBe(405);
  });
});
