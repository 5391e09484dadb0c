import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/lib/free-port.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { linesWith, runService, STACK_FRAME, type LogLine, type RunOptions, type ServiceRun } from '../helpers/service-run.ts';
import { spawnRedis } from '../helpers/redis-spawn.ts';
import { READY_BOUND_MS, sendAs, startBeforeRedis, statusOf } from '../helpers/start-before-redis.ts';
import { reserveForward } from '../helpers/tcp-forward.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

const run = promisify(execFile);

/** Every fatal (level 60) line the service printed. */
const fatalLines = (service: ServiceRun): LogLine[] => service.logs.filter((line) => line.level === 60);

/** Runs the service to its exit; resolves with the code, its one fatal line and stderr. */
async function exitOf(env: Record<string, string>, options: RunOptions = {}) {
  const service = runService(env, options);
  const code = await service.exited;
  const fatal = fatalLines(service);
  expect(fatal, JSON.stringify(service.logs)).toHaveLength(1);
  expect(service.stderr).not.toMatch(STACK_FRAME);
  return { code, line: fatal[0] as LogLine, stderr: service.stderr, logs: service.logs };
}

/** Reads one counter sample from the node's /metrics, 0 when absent. */
async function counter(port: number, sample: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

describe('a node that starts before Redis (standalone)', () => {
  it('listens at once, refuses upgrades (503) and sends (UNAVAILABLE) with one waiting line, then becomes ready by itself and delivers', async () => {
    let redis: RedisProcess | undefined;
    try {
      const { readyMs } = await startBeforeRedis({
        variable: 'REDIS_URL',
        env: (forward) => ({ REDIS_URL: `redis://${forward.address}` }),
        async whileWaiting(port, logs) {
          // Several attempts fail meanwhile; the log says so once, naming the error and what to do.
          await waitFor('three failed attempts', async () => (await counter(port, 'switchboard_redis_errors_total{role="publisher"}')) >= 3);
          const waiting = linesWith(logs, (msg) => msg.startsWith('waiting for Redis'));
          expect(waiting).toHaveLength(1);
          expect(waiting[0]?.msg).toMatch(
            /^waiting for Redis \(REDIS_URL\): connect ECONNREFUSED 127\.0\.0\.1:\d+: retrying with backoff, at most 2000 ms apart; \/ready answers 503 until connected$/u,
          );
          expect(waiting[0]?.['advice']).toBe('check REDIS_URL and that Redis is running and reachable from this node');
          expect(linesWith(logs, (msg) => msg === 'redis connection error')).toHaveLength(0);
        },
        async bringUp() {
          redis = await startRedis();
          return redis.port;
        },
      });
      expect(readyMs).toBeLessThan(READY_BOUND_MS);
    } finally {
      await redis?.stop();
    }
  });

  it('waits for a hung Redis (connections accepted, nothing answered) with one line, and becomes ready once it answers', async () => {
    const redis = await startRedis();
    redis.pause();
    const service = runService({ REDIS_URL: redis.url });
    try {
      const port = await service.port();
      const waiting = linesWith(service.logs, (msg) => msg.startsWith('waiting for Redis'));
      expect(waiting).toHaveLength(1);
      expect(waiting[0]?.['fault']).toBe('timeout');
      expect(await statusOf(port, '/ready')).toBe(503);
      redis.resume();
      await waitFor('the node to be ready', async () => (await statusOf(port, '/ready')) === 200, { timeoutMs: READY_BOUND_MS });
      expect(linesWith(service.logs, (msg) => msg.startsWith('waiting for Redis'))).toHaveLength(1);
      expect(linesWith(service.logs, (msg) => msg === 'connected to Redis')).toHaveLength(1);
    } finally {
      redis.resume();
      expect(await service.stop()).toBe(0);
      await redis.stop();
    }
    expect(service.stderr).not.toMatch(STACK_FRAME);
  });

  it('drains and exits 0 on SIGTERM while it waits', async () => {
    const forward = await reserveForward();
    const service = runService({ REDIS_URL: `redis://${forward.address}` });
    await service.port();
    expect(await service.stop()).toBe(0);
    expect(linesWith(service.logs, (msg) => msg === 'shut down')).toHaveLength(1);
    expect(fatalLines(service)).toHaveLength(0);
    expect(service.stderr).not.toMatch(STACK_FRAME);
  });

  it.each(['node', 'deno'] as const)('exits 69 with one line once STARTUP_TIMEOUT_MS passes without Redis (%s)', async (runtime) => {
    const forward = await reserveForward();
    const { code, line } = await exitOf({ REDIS_URL: `redis://${forward.address}`, STARTUP_TIMEOUT_MS: '1500' }, { runtime });
    expect(code).toBe(69);
    expect(line.msg).toBe(
      `Cannot start: Redis (REDIS_URL) was not reachable within STARTUP_TIMEOUT_MS (1500 ms): connect ECONNREFUSED ${forward.address}: check REDIS_URL and that Redis is running and reachable from this node`,
    );
  });
});

describe('environmental faults end as one line and an exit code', () => {
  let held: Server;
  let heldPort: number;
  beforeAll(async () => {
    heldPort = await freePort();
    held = createServer();
    await new Promise<void>((resolve) => held.listen(heldPort, '0.0.0.0', () => resolve()));
  });
  afterAll(() => new Promise<void>((resolve) => held.close(() => resolve())));

  it('port in use with LOG_LEVEL=silent: the one line goes to stderr', async () => {
    const service = runService({ PORT: String(heldPort), LOG_LEVEL: 'silent' });
    expect(await service.exited).toBe(75);
    expect(service.stderr).toBe(
      `switchboard: Cannot listen on port ${heldPort}: the address is already in use (EADDRINUSE): stop the process that holds it, or set PORT to a free port\n`,
    );
    expect(service.logs).toHaveLength(0);
  });

  it.each(['node', 'deno'] as const)('port in use on %s: exit 75', async (runtime) => {
    const { code, line } = await exitOf({ PORT: String(heldPort) }, { runtime });
    expect(code).toBe(75);
    expect(line.msg).toBe(
      `Cannot listen on port ${heldPort}: the address is already in use (EADDRINUSE): stop the process that holds it, or set PORT to a free port`,
    );
  });

  it('permission denied on a privileged port: exit 77', async () => {
    // As root, drop to nobody (setpriv) so binding port 80 is refused as it is for any service user.
    const { code, line } = await exitOf({ PORT: '80' }, { asNobody: process.getuid?.() === 0 });
    expect(code).toBe(77);
    expect(line.msg).toBe(
      'Cannot listen on port 80: permission denied (EACCES): ports below 1024 need privileges: set PORT to 1024 or above, or grant CAP_NET_BIND_SERVICE',
    );
  });

  it.each([
    ['a wrong password', 'node', ':wrong@', 'WRONGPASS invalid username-password pair or user is disabled.'],
    ['no password where one is required', 'node', '', 'NOAUTH Authentication required.'],
    ['a wrong password', 'deno', ':wrong@', 'WRONGPASS invalid username-password pair or user is disabled.'],
  ] as const)('%s on %s: exit 77', async (_name, runtime, credentials, reply) => {
    const redis = await spawnRedis(['--requirepass', 'right']);
    try {
      const { code, line } = await exitOf({ REDIS_URL: `redis://${credentials}127.0.0.1:${redis.port}` }, { runtime });
      expect(code).toBe(77);
      expect(line.msg).toBe(
        `Cannot start: Redis (REDIS_URL) refused this node: ${reply}: fix the user name and password in REDIS_URL (redis://user:password@host:port) or the server's ACL`,
      );
      expect(String(line.msg)).not.toContain('right');
    } finally {
      await redis.stop();
    }
  });

  describe('TLS', () => {
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'switchboard-tls-'));
      await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost']);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('rediss:// to a port without TLS: exit 76', async () => {
      const redis = await spawnRedis([]);
      try {
        const { code, line } = await exitOf({ REDIS_URL: `rediss://127.0.0.1:${redis.port}` });
        expect(code).toBe(76);
        expect(line.msg).toBe(
          `Cannot start: Redis (REDIS_URL) refused this node: the URL is rediss:// (TLS) but 127.0.0.1:${redis.port} answers plain Redis, without TLS: use redis:// for a port without TLS, rediss:// only for a TLS port whose certificate this node trusts (NODE_EXTRA_CA_CERTS on Node, DENO_CERT on Deno)`,
        );
      } finally {
        await redis.stop();
      }
    });

    it('a certificate the node does not trust: exit 76', async () => {
      const cert = join(dir, 'cert.pem');
      const redis = await spawnRedis(['--tls-cert-file', cert, '--tls-key-file', join(dir, 'key.pem'), '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no'], { tls: true });
      try {
        const { code, line } = await exitOf({ REDIS_URL: `rediss://127.0.0.1:${redis.port}` });
        expect(code).toBe(76);
        expect(line.msg).toMatch(/^Cannot start: Redis \(REDIS_URL\) refused this node: self[- ]signed certificate[^:]*: use redis:\/\//u);
      } finally {
        await redis.stop();
      }
    });
  });

  it('an ACL user that may not SUBSCRIBE: exit 77, naming the command', async () => {
    const redis = await startRedis();
    try {
      await redis.client.call('ACL', 'SETUSER', 'nosub', 'on', '>pw', '~*', '&*', '+@all', '-subscribe');
      const { code, line } = await exitOf({ REDIS_URL: `redis://nosub:pw@127.0.0.1:${redis.port}` });
      expect(code).toBe(77);
      expect(line.msg).toMatch(/^Cannot start: Redis \(REDIS_URL\) refused this node: .*NOPERM.*'subscribe'.*: grant the ACL user the commands switchboard needs/u);
    } finally {
      await redis.stop();
    }
  });

  it('an ACL user that may not SUBSCRIBE, with PRESENCE=off (nothing subscribes at start): exit 77 at start, naming the command', async () => {
    const redis = await startRedis();
    try {
      await redis.client.call('ACL', 'SETUSER', 'nosub', 'on', '>pw', '~*', '&*', '+@all', '-subscribe');
      const { code, line } = await exitOf({ REDIS_URL: `redis://nosub:pw@127.0.0.1:${redis.port}`, PRESENCE: 'off' });
      expect(code).toBe(77);
      expect(line.msg).toMatch(/^Cannot start: Redis \(REDIS_URL\) refused this node: NOPERM.*'subscribe'.*: grant the ACL user the commands switchboard needs/u);
    } finally {
      await redis.stop();
    }
  });

  for (const runtime of ['node', 'deno'] as const) {
    it(`an ACL user that may not XADD (the send script's append): exit 77 at start on ${runtime}, naming XADD`, async () => {
      const redis = await startRedis();
      try {
        await redis.client.call('ACL', 'SETUSER', 'noxadd', 'on', '>pw', '~*', '&*', '+@all', '-xadd');
        const { code, line } = await exitOf({ REDIS_URL: `redis://noxadd:pw@127.0.0.1:${redis.port}` }, { runtime });
        expect(code).toBe(77);
        expect(line.msg).toBe(
          "Cannot start: Redis (REDIS_URL) refused this node: the ACL user may not run XADD (inside the node's scripts, on keys 'sb:*' and channels 'sb:*'): grant the ACL user the commands switchboard needs (at least '+@read +@write +@stream +@pubsub +@scripting +@connection +info +time'; see docs/OPERATIONS.md)",
        );
      } finally {
        await redis.stop();
      }
    });
  }

  it('REDIS_CLUSTER_NODES at a Redis without cluster mode: exit 78', async () => {
    const redis = await spawnRedis([]);
    try {
      const { code, line } = await exitOf({ REDIS_CLUSTER_NODES: `127.0.0.1:${redis.port}` });
      expect(code).toBe(78);
      expect(line.msg).toBe(
        'Cannot start: Redis (REDIS_CLUSTER_NODES) refused this node: Failed to refresh slots cache. (ERR This instance has cluster support disabled): use REDIS_URL for a Redis that does not run in cluster mode, REDIS_CLUSTER_NODES only for the nodes of a Redis Cluster',
      );
    } finally {
      await redis.stop();
    }
  });

  it('pointed at a replica: exit 78', async () => {
    const primary = await spawnRedis([]);
    const replica = await spawnRedis(['--replicaof', '127.0.0.1', String(primary.port)]);
    try {
      const { code, line } = await exitOf({ REDIS_URL: `redis://127.0.0.1:${replica.port}` });
      expect(code).toBe(78);
      expect(line.msg).toBe(
        `Cannot start: Redis (REDIS_URL) refused this node: REDIS_URL points at a replica (127.0.0.1:${replica.port}), which refuses writes: point REDIS_URL at the primary, not a replica (or use REDIS_SENTINELS, which follows the primary)`,
      );
    } finally {
      await Promise.all([primary.stop(), replica.stop()]);
    }
  });
});

describe('Redis refusing commands while a node runs: coded answers, one line per class, a metric', () => {
  let redis: RedisProcess;
  let service: ServiceRun;
  let port: number;
  let alice: string;
  beforeAll(async () => {
    redis = await startRedis();
    // The smallest grant docs/OPERATIONS.md documents: the node runs on it (and every row below passes).
    const grant = ['~sb:*', '&sb:*', '+@read', '+@write', '+@stream', '+@pubsub', '+@scripting', '+@connection', '+info', '+time'];
    await redis.client.call('ACL', 'SETUSER', 'switchboard', 'on', '>pw', ...grant);
    // The send-rate limit on (high enough never to refuse): on one server the send script takes the
    // token itself, so the check meets the same faults in the same command.
    service = runService({ REDIS_URL: `redis://switchboard:pw@127.0.0.1:${redis.port}`, SEND_RATE_PER_SECOND: '10000', SEND_BURST: '10000' });
    port = await service.port();
    await waitFor('the node to be ready', async () => (await statusOf(port, '/ready')) === 200);
    alice = await tokenFor('alice');
  });
  afterAll(async () => {
    expect(await service.stop()).toBe(0);
    expect(service.stderr).not.toMatch(STACK_FRAME);
    await redis.stop();
  });

  const failureLines = (fault: string) =>
    service.logs.filter((line) => line.msg === 'sendMessage failed in Redis: answered UNAVAILABLE' && line['fault'] === fault);

  it('the script cache flushed (NOSCRIPT): the send still succeeds (ioredis falls back to EVAL)', async () => {
    expect((await sendAs(port, alice)).errors).toBeUndefined();
    await redis.client.script('FLUSH');
    const reply = await sendAs(port, alice);
    expect(reply.errors).toBeUndefined();
    expect(reply.data?.sendMessage.id).toMatch(/^\d+-\d+$/u);
    expect(failureLines('noscript')).toHaveLength(0);
  });

  it('out of memory (OOM): UNAVAILABLE, one line for several sends, counted by class', async () => {
    await redis.client.config('SET', 'maxmemory', '1');
    try {
      for (let i = 0; i < 3; i++) expect((await sendAs(port, alice)).errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
      expect(await counter(port, 'switchboard_send_failures_total{class="oom"}')).toBe(3);
      await waitFor('the oom line', () => failureLines('oom').length > 0);
      const lines = failureLines('oom');
      expect(lines).toHaveLength(1);
      expect(lines[0]?.['level']).toBe(40);
      // No separate limiter call to fail open: the token is taken inside the send script (one round trip).
      expect(service.logs.filter((line) => line.msg === 'send rate limit not checked: Redis did not answer')).toHaveLength(0);
      expect(lines[0]?.['advice']).toBe('free memory or raise maxmemory on Redis (sends fail until then; history is never evicted with noeviction)');
      expect(String(lines[0]?.['err'])).toMatch(/^OOM command not allowed/u);
    } finally {
      await redis.client.config('SET', 'maxmemory', '0');
    }
    expect((await sendAs(port, alice)).errors).toBeUndefined();
  });

  it('an ACL user lacking a command the scripts need (NOPERM): UNAVAILABLE, the line says what to grant', async () => {
    await redis.client.call('ACL', 'SETUSER', 'switchboard', '-xadd');
    try {
      expect((await sendAs(port, alice)).errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
      expect(await counter(port, 'switchboard_send_failures_total{class="noperm"}')).toBe(1);
      const line = await waitFor('the noperm line', () => failureLines('noperm')[0]);
      expect(String(line['advice'])).toMatch(/^grant the ACL user the commands switchboard needs/u);
    } finally {
      await redis.client.call('ACL', 'SETUSER', 'switchboard', '+xadd');
    }
    expect((await sendAs(port, alice)).errors).toBeUndefined();
  });

  it('its Redis turned into a replica (READONLY): UNAVAILABLE, the line says to point at the primary', async () => {
    const other = await spawnRedis([]);
    await redis.client.call('REPLICAOF', '127.0.0.1', String(other.port));
    try {
      await waitFor('a READONLY failure', async () => {
        expect((await sendAs(port, alice)).errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
        return failureLines('readonly').length === 1;
      });
      expect(await counter(port, 'switchboard_send_failures_total{class="readonly"}')).toBeGreaterThanOrEqual(1);
      expect(failureLines('readonly')[0]?.['advice']).toBe('point REDIS_URL at the primary, not a replica (or use REDIS_SENTINELS, which follows the primary)');
    } finally {
      await redis.client.call('REPLICAOF', 'NO', 'ONE');
      await other.stop();
    }
  });
});
