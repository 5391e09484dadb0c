import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/app/config.ts';
import { createApp, type App } from '../../../src/app/create-app.ts';
import type { Yoga } from '../../../src/graphql/yoga.ts';
import { GraphqlPost, type PostHead } from '../../../src/transport/http/graphql-post.ts';
import { TEST_JWT_SECRET, tokenFor } from '../../helpers/tokens.ts';

/** The head of a JSON `POST /graphql` with `body`, as a runtime reads it. */
function headFor(body: string, authorization?: string): PostHead {
  return {
    method: 'POST',
    target: '/graphql',
    contentType: 'application/json',
    contentLength: String(Buffer.byteLength(body)),
    accept: 'application/graphql-response+json',
    origin: undefined,
    authorization,
    traceparent: undefined,
  };
}

/** A GraphqlPost over a small yoga that counts the parse and validation hooks envelop runs. */
function countingPost() {
  const counts = { parses: 0, validations: 0 };
  const counting: Plugin = {
    onParse: () => void (counts.parses += 1),
    onValidate: () => void (counts.validations += 1),
  };
  const yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { hello(name: String): String }', resolvers: { Query: { hello: (_root, args: { name?: string }) => `hello ${args.name ?? 'world'}` } } }),
    plugins: [counting],
    logging: false,
  });
  const post = new GraphqlPost({ yoga: yoga as unknown as Yoga, path: '/graphql', maxPayloadBytes: 65_536, allowedOrigins: undefined });
  const answer = (params: Record<string, unknown>) => {
    const body = JSON.stringify(params);
    return post.answer(headFor(body), body);
  };
  return { counts, answer };
}

describe('GraphqlPost (transport/http/graphql-post.ts)', () => {
  it('runs the parse and validation hooks once per document that passed them, and answers every request alike', async () => {
    const { counts, answer } = countingPost();
    const first = await answer({ query: 'query Greet($name: String) { hello(name: $name) }', variables: { name: 'a' } });
    const second = await answer({ query: 'query Greet($name: String) { hello(name: $name) }', variables: { name: 'b' } });
    expect([first?.status, first?.body, second?.status, second?.body]).toEqual([200, '{"data":{"hello":"hello a"}}', 200, '{"data":{"hello":"hello b"}}']);
    expect(counts).toEqual({ parses: 1, validations: 1 });
  });

  it('never remembers a document that does not parse or validate: each request runs the hooks again and is left to yoga', async () => {
    const { counts, answer } = countingPost();
    expect([await answer({ query: '{ nope }' }), await answer({ query: '{ nope }' })]).toEqual([undefined, undefined]);
    expect(counts).toEqual({ parses: 2, validations: 2 });
    expect([await answer({ query: '{ hello' }), await answer({ query: '{ hello' })]).toEqual([undefined, undefined]);
    expect(counts.parses).toBe(4);
  });

  it('remembers the last 256 documents: an older one is parsed and validated again', async () => {
    const { counts, answer } = countingPost();
    for (let i = 0; i <= 256; i++) await answer({ query: `{ a${i}: hello }` });
    expect(counts.parses).toBe(257);
    await answer({ query: '{ a256: hello }' });
    expect(counts.parses).toBe(257);
    // The first one went when the 257th came.
    expect((await answer({ query: '{ a0: hello }' }))?.body).toBe('{"data":{"a0":"hello world"}}');
    expect(counts.parses).toBe(258);
  });

  describe('with the service', () => {
    let app: App;
    let alice: string;
    beforeAll(async () => {
      app = createApp(parseConfig({ JWT_SECRET: TEST_JWT_SECRET, MAX_DEPTH: '2' }));
      await app.start();
      alice = `Bearer ${await tokenFor('alice')}`;
    });
    afterAll(() => app.stop());

    /** One JSON POST through the fetch handler, which serves it through GraphqlPost (or yoga when it declines). */
    async function post(query: string) {
      const response = await app.fetch(
        new Request('http://switchboard.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: alice },
          body: JSON.stringify({ query }),
        }),
      );
      return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string; limit?: string } }> } };
    }

    it('a document over a query limit is refused on every request, and one within it answered on every request', async () => {
      // Depth 3 against MAX_DEPTH=2: graphql-armor's rule, in validation.
      for (let i = 0; i < 2; i++) {
        const refused = await post('{ messages { items { id } } }');
        expect([refused.status, refused.body.errors?.[0]?.extensions]).toEqual([400, { code: 'LIMIT_EXCEEDED', limit: 'maxDepth' }]);
      }
      for (let i = 0; i < 2; i++) expect(await post('{ messages { hasMore } }')).toEqual({ status: 200, body: { data: { messages: { hasMore: false } } } });
    });
  });
});
