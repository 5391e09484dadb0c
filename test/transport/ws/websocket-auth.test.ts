import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startNode, type NodeProcess } from '../../helpers/node-process.ts';
import { TEST_JWT_SECRET, tokenFor } from '../../helpers/tokens.ts';

/** Opens a raw graphql-transport-ws socket, sends `connection_init` with `payload`, returns the first reply or the close. */
function init(url: string, payload: unknown): Promise<{ message?: unknown; close?: { code: number; reason: string } }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload })));
    socket.once('message', (data) => {
      resolve({ message: JSON.parse(String(data)) });
      socket.close();
    });
    socket.once('close', (code, reason) => resolve({ close: { code, reason: reason.toString() } }));
    socket.once('error', reject);
  });
}

describe('graphql-ws connection_init identity', () => {
  let node: NodeProcess;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(() => node.stop());

  it('acknowledges a valid bearer token', async () => {
    expect(await init(node.wsUrl, { authorization: `Bearer ${await tokenFor('alice')}` })).toEqual({
      message: { type: 'connection_ack' },
    });
  });

  it.each([
    ['no payload', undefined],
    ['no authorization', {}],
    ['authorization that is not a string', { authorization: 42 }],
    ['a token without the Bearer scheme', { authorization: 'token' }],
    ['a token signed with another secret', 'other-secret'],
    ['an expired token', 'expired'],
  ])('refuses %s with close code 4403', async (_name, variant) => {
    let payload: unknown = variant;
    if (variant === 'other-secret') {
      payload = { authorization: `Bearer ${await tokenFor('alice', { secret: `${TEST_JWT_SECRET}-other` })}` };
    } else if (variant === 'expired') {
      payload = { authorization: `Bearer ${await tokenFor('alice', { exp: Math.floor(Date.now() / 1000) - 60 })}` };
    }
    expect(await init(node.wsUrl, payload)).toEqual({ close: { code: 4403, reason: 'Forbidden' } });
  });
});
