import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, SEND } from '../helpers/graphql-client.ts';
import { startCluster, type LocalCluster } from '../helpers/cluster.ts';
import type { NodeProcess } from '../helpers/node-process.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/resume-client.mjs', import.meta.url));

describe('examples/resume-client.mjs', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startCluster(2);
  });
  afterAll(() => cluster.stop());

  it('receives every message once, in order, across the death of the node it was connected to', async () => {
    const [first, second] = cluster.nodes as [NodeProcess, NodeProcess];
    const alice = await tokenFor('alice');
    const before = await post(second.url, SEND, { to: 'bob', body: 'before the client started' }, alice);
    const lastSeen = (before.data as { sendMessage: { id: string } }).sendMessage.id;
    const child = spawn(process.execPath, [EXAMPLE], {
      env: {
        PATH: process.env['PATH'],
        SWITCHBOARD_URLS: `${first.wsUrl},${second.wsUrl}`,
        SWITCHBOARD_TOKEN: await tokenFor('bob'),
        SWITCHBOARD_AFTER: lastSeen,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: Array<{ id: string; body: string }> = [];
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const part of parts) lines.push(JSON.parse(part) as { id: string; body: string });
    });
    try {
      const sent: string[] = [];
      for (let i = 0; i < 10; i++) {
        sent.push((await post(second.url, SEND, { to: 'bob', body: `m${i}` }, alice)).data ? `m${i}` : 'failed');
      }
      await waitFor('the first ten', () => lines.length >= 10);
      await first.kill();
      for (let i = 10; i < 20; i++) {
        sent.push((await post(second.url, SEND, { to: 'bob', body: `m${i}` }, alice)).data ? `m${i}` : 'failed');
      }
      await waitFor('all twenty', () => lines.length >= 20);
      expect(lines.map((line) => line.body)).toEqual(sent);
      expect(new Set(lines.map((line) => line.id)).size).toBe(20);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
