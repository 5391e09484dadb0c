import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MESSAGES, post, SEND, subscribeInbox } from '../helpers/graphql-client.ts';
import { freePort } from '../../bench/lib/free-port.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { readSse } from '../helpers/sse.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Debian's nginx (scripts/ensure-e2e-tools.sh) runs deploy/nginx/nginx.conf in front of two real
// nodes: only the upstream addresses and the listen address change (compose's service names do
// not resolve here). Outside CI a machine without nginx skips this file.
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
const available = NGINX !== undefined || process.env['CI'] !== undefined;

const RESUMING = 'subscription ($after: ID) { messageReceived(after: $after) { id fromUserId toUserId body sentAt } }';

describe.skipIf(!available)('deploy/nginx/nginx.conf in front of two nodes', () => {
  let redis: RedisProcess;
  let nodes: NodeProcess[];
  let nginx: ChildProcess;
  let dir: string;
  let base: string;

  beforeAll(async () => {
    redis = await startRedis();
    nodes = [await startNode({ REDIS_URL: redis.url }), await startNode({ REDIS_URL: redis.url })];
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'switchboard-nginx-'));
    chmodSync(dir, 0o755); // nginx workers run as an unprivileged user when the master is root
    const conf = readFileSync(new URL('../../deploy/nginx/nginx.conf', import.meta.url), 'utf8')
      .replace('server node-a:4000', `server 127.0.0.1:${nodes[0]?.port}`)
      .replace('server node-b:4000', `server 127.0.0.1:${nodes[1]?.port}`)
      .replace('listen 8080;', `listen 127.0.0.1:${port};`)
      .replace('access_log /dev/stdout;', 'access_log off;');
    writeFileSync(join(dir, 'nginx.conf'), conf);
    const args = ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`];
    const check = spawnSync(NGINX ?? 'nginx', ['-t', ...args], { encoding: 'utf8' });
    expect(check.stderr).toContain('test is successful');
    nginx = spawn(NGINX ?? 'nginx', args, { stdio: 'ignore' });
    base = `http://127.0.0.1:${port}`;
    await waitFor('nginx to proxy', async () => (await fetch(`${base}/`)).ok);
  });
  afterAll(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await Promise.all(nodes?.map((node) => node.stop()) ?? []);
    await redis?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('passes the WebSocket upgrade: a graphql-ws subscription through nginx gets a message sent through nginx', async () => {
    const [alice, bob] = [await tokenFor('alice'), await tokenFor('bob')];
    const first = await post(`${base}/graphql`, SEND, { to: 'bob', body: 'before' }, alice);
    const after = (first.data as { sendMessage: { id: string } }).sendMessage.id;
    const client = connect(`${base.replace('http', 'ws')}/graphql`, bob);
    try {
      const inbox = subscribeInbox(client, RESUMING, { after });
      await post(`${base}/graphql`, SEND, { to: 'bob', body: 'through nginx' }, alice);
      expect((await inbox.waitForCount(1)).map((m) => m.body)).toEqual(['through nginx']);
      expect(inbox.errors).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it('streams SSE events through nginx while the stream stays open', async () => {
    const [alice, carol] = [await tokenFor('alice'), await tokenFor('carol')];
    const stream = await readSse(`${base}/graphql`, MESSAGES, carol);
    try {
      // The stream stays open, so an event only shows up here if nginx passes it on at once.
      await waitFor('an event through nginx', async () => {
        await post(`${base}/graphql`, SEND, { to: 'carol', body: 'sse' }, alice);
        return waitFor('the event', () => stream.events.length > 0, { timeoutMs: 200 }).catch(() => false);
      });
      expect(stream.events[0]).toMatchObject({ data: { messageReceived: { body: 'sse', fromUserId: 'alice' } } });
    } finally {
      stream.close();
    }
  });

  it('serves the demo page and GraphQL, and keeps /metrics off the public side', async () => {
    expect(await (await fetch(`${base}/`)).text()).toContain('<title>switchboard demo</title>');
    expect((await post(`${base}/graphql`, '{ nodeId }')).data?.['nodeId']).toMatch(/^test-/);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
  });
});
