import { describe, expect, it } from 'vitest';
import { createTracing } from '../../src/tracing/create-tracing.ts';
import { disabledTracing } from '../../src/tracing/tracing.ts';
import { silentLogger } from '../../src/util/logger.ts';

describe('createTracing', () => {
  it('without a configuration is the disabled tracing: nothing imported, every call only runs its work', async () => {
    const tracing = await createTracing(undefined, { nodeId: 'n', version: '0', logger: silentLogger });
    expect(tracing).toBe(disabledTracing);
    expect(tracing.enabled).toBe(false);
    expect(await tracing.server('s', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', {}, async () => 'ran')).toBe('ran');
    expect(await tracing.client(undefined, 'c', {}, async (carry: string | undefined) => carry)).toBeUndefined();
    expect(tracing.logFields()).toBeUndefined();
    const tally = { sessions: -1, delivered: -1, buffered: -1, dropped: -1 };
    tracing.delivery({ id: '1-0', fromUserId: 'a', toUserId: 'b', body: '', sentAt: '', traceparent: 'x' }, (given) => Object.assign(tally, given));
    expect(tally).toEqual({ sessions: 0, delivered: 0, buffered: 0, dropped: 0 });
  });
});
