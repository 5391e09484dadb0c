import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App, type AppDeps } from '../../src/app/create-app.ts';
import { parseConfig } from '../../src/app/config.ts';
import { MAX_IS_ONLINE_IDS, MAX_WATCHED_USERS } from '../../src/graphql/presence-inputs.ts';
import { PRESENCE_CHANGED } from '../helpers/presence-client.ts';
import { TEST_JWT_SECRET, tokenFor } from '../helpers/tokens.ts';

/** Runs one GraphQL request through the app's fetch handler: no port, no process. */
async function graphql(app: App, query: string, variables: Record<string, unknown> = {}, user: string | null = 'alice') {
  const response = await app.fetch(
    new Request('http://switchboard.test/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...(user === null ? {} : { authorization: `Bearer ${await tokenFor(user)}` }),
      },
      body: JSON.stringify({ query, variables }),
    }),
  );
  // `any`: these tests assert on arbitrary JSON shapes; expect() is the type check.
  return (await response.json()) as Record<string, any>;
}

const IS_ONLINE = 'query($ids: [ID!]!) { isOnline(userIds: $ids) }';
const ids = (count: number) => Array.from({ length: count }, (_, index) => `user-${index}`);

async function startApp(env: Record<string, string> = {}, deps: AppDeps = {}): Promise<App> {
  const app = createApp(parseConfig({ JWT_SECRET: TEST_JWT_SECRET, ...env }), deps);
  await app.start();
  return app;
}

describe('presence over HTTP through the fetch handler (memory store)', () => {
  let app: App;
  beforeAll(async () => {
    // Only Bob may not see Carol.
    app = await startApp({ PRESENCE_GRACE_SECONDS: '0' }, { presencePolicy: (viewer, userIds) => !(viewer.userId === 'bob' && userIds.includes('carol')) });
  });
  afterAll(() => app.stop());

  it('counts distinct users with sessions and answers isOnline in the order asked', async () => {
    const sessions = [
      app.services.presence.openSession('carol'),
      app.services.presence.openSession('carol'),
      app.services.presence.openSession('dave'),
    ];
    await Promise.all(sessions.map((session) => session.recorded));
    expect(await graphql(app, '{ onlineCount }')).toEqual({ data: { onlineCount: 2 } });
    expect(await graphql(app, IS_ONLINE, { ids: ['dave', 'erin', 'carol', 'dave'] })).toEqual({
      data: { isOnline: [true, false, true, true] },
    });
    expect(await app.services.presence.sessionCount('carol')).toBe(2);
    expect(await graphql(app, IS_ONLINE, { ids: [] })).toEqual({ data: { isOnline: [] } });
    for (const session of sessions) session.close();
  });

  it.each([
    ['onlineCount', '{ onlineCount }', {}],
    ['isOnline', IS_ONLINE, { ids: ['dave'] }],
  ])('refuses %s without a token: UNAUTHENTICATED', async (_name, query, variables) => {
    const body = await graphql(app, query, variables, null);
    expect(body['errors']).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
  });

  it(`refuses isOnline with more than ${MAX_IS_ONLINE_IDS} ids: BAD_USER_INPUT`, async () => {
    const body = await graphql(app, IS_ONLINE, { ids: ids(MAX_IS_ONLINE_IDS + 1) });
    expect(body['errors']).toEqual([
      expect.objectContaining({
        message: `Cannot read presence: 'userIds' must have 0 to ${MAX_IS_ONLINE_IDS} entries: current length ${MAX_IS_ONLINE_IDS + 1}`,
        extensions: { code: 'BAD_USER_INPUT', maxUserIds: MAX_IS_ONLINE_IDS },
      }),
    ]);
    expect((await graphql(app, IS_ONLINE, { ids: ids(MAX_IS_ONLINE_IDS) }))['data'].isOnline).toHaveLength(MAX_IS_ONLINE_IDS);
  });

  it('refuses isOnline with a malformed id: BAD_USER_INPUT naming it', async () => {
    const body = await graphql(app, IS_ONLINE, { ids: ['ok', 'not ok'] });
    expect(body['errors']).toEqual([
      expect.objectContaining({
        message: "Cannot read presence: 'userIds[1]' is invalid: it contains whitespace or a control character",
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    ]);
  });

  it('refuses isOnline when the presence policy says no: FORBIDDEN', async () => {
    const body = await graphql(app, IS_ONLINE, { ids: ['dave', 'carol'] }, 'bob');
    expect(body['errors']).toEqual([
      expect.objectContaining({
        message: "Cannot read presence: the presence policy does not let 'bob' see these users",
        extensions: { code: 'FORBIDDEN' },
      }),
    ]);
    expect(await graphql(app, IS_ONLINE, { ids: ['dave'] }, 'bob')).toEqual({ data: { isOnline: [false] } });
  });

  it.each([
    ['no user', [], `Cannot watch presence: 'userIds' must have 1 to ${MAX_WATCHED_USERS} entries: current length 0`, 'BAD_USER_INPUT'],
    [
      `more than ${MAX_WATCHED_USERS} users`,
      ids(MAX_WATCHED_USERS + 1),
      `Cannot watch presence: 'userIds' must have 1 to ${MAX_WATCHED_USERS} entries: current length ${MAX_WATCHED_USERS + 1}`,
      'BAD_USER_INPUT',
    ],
  ])('refuses presenceChanged watching %s over SSE', async (_name, watched, message, code) => {
    const response = await app.fetch(
      new Request('http://switchboard.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${await tokenFor('alice')}` },
        body: JSON.stringify({ query: PRESENCE_CHANGED, variables: { ids: watched } }),
      }),
    );
    const text = await response.text();
    expect(text).toContain(JSON.stringify(message));
    expect(text).toContain(code);
  });
});

describe('presence switched off (PRESENCE=off)', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp({ PRESENCE: 'off' });
  });
  afterAll(() => app.stop());

  it('answers presence reads with UNAVAILABLE saying it is off', async () => {
    for (const [query, variables] of [['{ onlineCount }', {}], [IS_ONLINE, { ids: ['alice'] }]] as const) {
      const body = await graphql(app, query, variables);
      expect(body['errors']).toEqual([
        expect.objectContaining({ message: expect.stringContaining('presence is switched off on this node: PRESENCE=off'), extensions: { code: 'UNAVAILABLE' } }),
      ]);
    }
  });
});
