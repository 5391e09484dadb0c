import { execute, GraphQLError, parse } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { BusUnavailableError } from '../../../src/bus/bus.ts';
import type { Message } from '../../../src/domain/message.ts';
import type { GraphQLContext } from '../../../src/graphql/context.ts';
import { resolvers } from '../../../src/graphql/resolvers.ts';
import { typeDefs } from '../../../src/graphql/type-defs.generated.ts';
import { EventPlan, EventPlans } from '../../../src/transport/ws/event-plan.ts';

const schema = createSchema<GraphQLContext>({ typeDefs, resolvers });
const message: Message = { id: '1700000000000-0', fromUserId: 'alice', toUserId: 'bob', body: 'hi "bob"', sentAt: '2026-12-01T09:00:00.000Z' };
const unmasked = (error: GraphQLError) => error;

describe('EventPlan', () => {
  it('renders a message as the payload graphql-js computes for the same subscription event', async () => {
    const query = 'subscription Inbox($after: ID) { inbox: messageReceived(after: $after) { id body sentAt ... on Message { fromUserId } } }';
    const document = parse(query);
    const plan = EventPlan.compile(schema, document, 'Inbox');
    expect(plan).toBeDefined();
    const expected = await execute({ schema, document, rootValue: message, variableValues: { after: '1-0' } });
    expect(JSON.parse(plan?.payload(message, {}, { after: '1-0' }, unmasked) ?? '')).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(plan?.responseKey).toBe('inbox');
  });

  it('leaves everything but a plain messageReceived subscription to the generic pipeline', () => {
    for (const query of [
      'subscription { messageReceived @include(if: true) { id } }',
      'subscription { presenceChanged(userIds: ["a"]) { userId } }',
      'query { nodeId }',
      'mutation { sendMessage(toUserId: "a", body: "b") { id } }',
    ]) {
      expect(EventPlan.compile(schema, parse(query), undefined), query).toBeUndefined();
    }
  });

  it('gives the same payload to every subscription of one document for one message, and a new one for the next', () => {
    const plans = new EventPlans();
    const document = parse('subscription { messageReceived { id body } }');
    const plan = plans.get(schema, document, undefined);
    expect(plans.get(schema, document, undefined)).toBe(plan);
    const first = plan?.payload(message, {}, {}, unmasked);
    expect(plan?.payload(message, {}, {}, unmasked)).toBe(first);
    expect(plan?.payload({ ...message, id: '1700000000000-1', body: 'next' }, {}, {}, unmasked)).toBe(
      '{"data":{"messageReceived":{"id":"1700000000000-1","body":"next"}}}',
    );
  });

  it("renders the error that ends a stream as the resolver's coded error at the field, masked by the transport's rule", () => {
    const plan = EventPlan.compile(schema, parse('subscription { messageReceived { id } }'), undefined);
    const payload = JSON.parse(plan?.payload(new BusUnavailableError('Redis is down'), {}, {}, unmasked) ?? '') as {
      data: unknown;
      errors: Array<{ message: string; path: string[]; extensions: { code: string } }>;
    };
    expect(payload.data).toBeNull();
    expect(payload.errors).toMatchObject([
      { message: 'Subscription ended: the message bus is unavailable; retry later', path: ['messageReceived'], extensions: { code: 'UNAVAILABLE' } },
    ]);
    const masked = JSON.parse(plan?.payload(new Error('boom'), {}, {}, () => new GraphQLError('Unexpected error.')) ?? '') as { errors: unknown };
    expect(masked.errors).toEqual([{ message: 'Unexpected error.' }]);
  });
});
