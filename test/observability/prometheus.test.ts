import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, post, SEND, MESSAGES, subscribeInbox, subscribeReady } from '../helpers/graphql-client.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { startPrometheus, type PrometheusServer, type Sample } from '../helpers/prometheus-server.ts';
import { dashboardQueries, measureOf, PROMTOOL, prometheusAvailable, rulesOf, run } from '../helpers/prometheus-tools.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { readSse, type SseStream } from '../helpers/sse.ts';
import { tokenFor } from '../helpers/tokens.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Debian's prometheus (scripts/ensure-e2e-tools.sh) scrapes two real nodes on a private Redis every
// second with deploy/prometheus/prometheus.yml, recording.yml and alerts.yml loaded; the traffic
// below gives every histogram samples and every failure counter a reason to move.

const RESUMING = 'subscription ($after: ID) { messageReceived(after: $after) { id fromUserId toUserId body sentAt } }';
const READ = 'query { messages(first: 10) { items { id } hasMore } }';

/** An expression's samples, once it has at least one finite value (Prometheus needs a scrape or a rule evaluation first). */
function finite(samples: Sample[]): Sample[] | undefined {
  return samples.some((sample) => Number.isFinite(sample.value)) ? samples : undefined;
}

describe.skipIf(!prometheusAvailable)('Prometheus scraping two nodes with the shipped rules', () => {
  let redis: RedisProcess;
  let nodes: NodeProcess[];
  let prometheus: PrometheusServer;
  let targets: string[];

  beforeAll(async () => {
    redis = await startRedis();
    nodes = await Promise.all([startNode({ REDIS_URL: redis.url }), startNode({ REDIS_URL: redis.url })]);
    targets = nodes.map((node) => `127.0.0.1:${node.port}`);
    prometheus = await startPrometheus(targets);
    // Counted before Prometheus' first scrape, an increase would be invisible to rate().
    await waitFor('Prometheus to scrape both nodes', async () => (await prometheus.query('up == 1')).length === 2);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all(nodes?.map((node) => node.stop()) ?? []);
    await redis?.stop();
  });

  /** Sends, live and catch-up deliveries, history reads, an SSE stream, refused identities, a Redis outage. */
  async function traffic(): Promise<SseStream> {
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    const [alice, bob, carol] = await Promise.all([tokenFor('alice'), tokenFor('bob'), tokenFor('carol')]);
    const live = connect(b.wsUrl, bob);
    const inbox = await subscribeReady(live, { userId: 'bob', sendUrl: a.url, probeToken: await tokenFor('probe') });
    for (let i = 0; i < 5; i++) expect((await post(a.url, SEND, { to: 'bob', body: `m${i}` }, alice)).errors).toBeUndefined();
    const [first] = await inbox.waitForCount(5);
    const resumed = connect(a.wsUrl, bob);
    const catchUp = subscribeInbox(resumed, RESUMING, { after: first?.id });
    await catchUp.waitForCount(4);
    await resumed.dispose(); // close 1000
    expect((await post(a.url, READ, {}, bob)).errors).toBeUndefined();
    const stream = await readSse(a.url, MESSAGES, carol);
    expect((await post(a.url, SEND, { to: 'bob', body: '' }, alice)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await post(a.url, SEND, { to: 'bob', body: 'x' })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await post(a.url, SEND, { to: 'bob', body: 'x' }, await tokenFor('alice', { secret: 'another-secret-of-at-least-thirty-two-bytes' }))).errors).toBeDefined();
    const anonymous = subscribeInbox(connect(b.wsUrl, undefined));
    await waitFor('the socket without a token to be refused', () => anonymous.errors.length > 0);

    // A Redis outage: a send fails (UNAVAILABLE, counted by class), the nodes see Redis go and come back.
    await redis.kill();
    expect((await post(a.url, SEND, { to: 'bob', body: 'during the outage' }, alice)).errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
    await waitFor('Prometheus to see node a without Redis', async () => (await prometheus.query(`switchboard_redis_connected{instance="${targets[0]}"} == 0`)).length === 1);
    await redis.restart();
    await waitFor('both nodes ready again', async () => (await Promise.all(nodes.map(async (node) => (await fetch(`http://127.0.0.1:${node.port}/ready`)).ok))).every(Boolean));
    await waitFor('a send after the outage', async () => (await post(a.url, SEND, { to: 'bob', body: 'after' }, alice)).errors === undefined);
    await inbox.waitForCount(6);
    await live.dispose();
    return stream;
  }

  it('gets data for every expression of the dashboard, the recording rules and the alerts (their measures) after traffic', async () => {
    const stream = await traffic();
    try {
      const instances = targets.join('|');
      const expressions = [
        ...dashboardQueries().map(({ panel, expr }) => ({
          what: `dashboard panel "${panel}"`,
          // Grafana's variables: all nodes of the job; $__rate_interval as a window spanning this test.
          expr: expr.replaceAll('$job', 'switchboard').replaceAll('$instance', instances).replaceAll('$__rate_interval', '1m'),
        })),
        ...rulesOf('recording.yml').map((rule) => ({ what: `recording rule ${rule.record}`, expr: rule.record ?? '' })),
        ...rulesOf('alerts.yml').map((rule) => ({ what: `alert ${rule.alert}`, expr: measureOf(rule) })),
      ];
      expect(expressions.length).toBeGreaterThan(50);
      const empty: string[] = [];
      for (const { what, expr } of expressions) {
        try {
          await waitFor(what, async () => finite(await prometheus.query(expr)), { timeoutMs: 15_000, intervalMs: 250 });
        } catch (error) {
          empty.push(`${what}: ${expr}: ${String((error as Error).cause ?? error)}`);
        }
      }
      expect(empty).toEqual([]);
      // The alert expressions themselves are valid and, on this cluster, not firing material.
      for (const rule of rulesOf('alerts.yml')) await expect(prometheus.query(rule.expr), rule.alert).resolves.toBeDefined();
      // The dashboard's variables: the job, and both nodes of it.
      expect(await prometheus.api('/api/v1/label/job/values?match[]=switchboard_build_info')).toEqual(['switchboard']);
      expect(((await prometheus.api('/api/v1/label/instance/values?match[]=switchboard_build_info{job="switchboard"}')) as string[]).sort()).toEqual([...targets].sort());
      // A few values the traffic pinned down.
      const one = async (expr: string) => (await prometheus.query(expr))[0]?.value;
      expect(await one('sum(switchboard_build_info{runtime="node"})')).toBe(2);
      expect(await one(`switchboard_sse_streams_open{instance="${targets[0]}"}`)).toBe(1);
      expect(await one('sum(switchboard_auth_failures_total{reason="missing"})')).toBe(1);
      expect(await one('sum(switchboard_auth_failures_total{reason="bad_signature"})')).toBe(1);
      expect(await one('sum(switchboard_messages_sent_total{result="bad_user_input"})')).toBe(1);
      expect(await one('sum(switchboard_send_failures_total)')).toBeGreaterThanOrEqual(1);
      expect(await one('sum(switchboard_websocket_closes_total{code="4403"})')).toBe(1);
      expect(await one('sum(switchboard_delivery_latency_seconds_count{source="history"})')).toBeGreaterThanOrEqual(4);
      expect(await one('sum(switchboard_history_read_duration_seconds_count{outcome="ok"})')).toBeGreaterThanOrEqual(2);
    } finally {
      stream.close();
    }
  });

  it("promtool check metrics finds nothing in switchboard's own metrics (prom-client's default ones aside)", async () => {
    const text = await (await fetch(`http://127.0.0.1:${nodes[0]?.port}/metrics`)).text();
    const all = await run(PROMTOOL ?? 'promtool', ['check', 'metrics'], { input: text });
    const problems = (all.stdout + all.stderr).split('\n').filter((line) => line.trim() !== '');
    expect(problems.filter((line) => line.startsWith('switchboard_'))).toEqual([]);
    // What promtool does find is prom-client's gauges named like counters (nodejs_active_*_total).
    for (const line of problems) expect(line).toMatch(/^nodejs_/u);
    // switchboard's families alone: no finding at all.
    const ours = text
      .split(/\n(?=# HELP )/u)
      .filter((family) => family.startsWith('# HELP switchboard_'))
      .join('\n');
    expect(ours).toContain('switchboard_build_info');
    const own = await run(PROMTOOL ?? 'promtool', ['check', 'metrics'], { input: `${ours.trimEnd()}\n` });
    expect(own.stdout + own.stderr).toBe('');
    expect(own.code).toBe(0);
  });

  it('after a SIGKILL of one node its up turns 0 and SwitchboardNodeDown goes pending for it', async () => {
    const [alive, killed] = targets as [string, string];
    await nodes[1]?.kill();
    await waitFor('up of the killed node to be 0', async () => (await prometheus.query(`up{instance="${killed}"}`))[0]?.value === 0);
    expect((await prometheus.query(`up{instance="${alive}"}`))[0]?.value).toBe(1);
    const alerts = await waitFor('SwitchboardNodeDown to be pending', async () => {
      const { alerts } = (await prometheus.api('/api/v1/alerts')) as { alerts: Array<{ labels: Record<string, string>; state: string }> };
      const down = alerts.filter((alert) => alert.labels['alertname'] === 'SwitchboardNodeDown');
      return down.length > 0 ? down : undefined;
    });
    expect(alerts.map((alert) => [alert.labels['instance'], alert.state])).toEqual([[killed, 'pending']]);
  });
});
