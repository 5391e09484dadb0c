import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dashboardQueries } from '../helpers/prometheus-tools.ts';

// deploy/grafana/switchboard.json as Grafana imports it (the classic JSON model); that its every
// expression returns data from real nodes is test/observability/prometheus.test.ts's part.

interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr: string; refId: string; datasource: { type: string; uid: string } }>;
}
const dashboard = JSON.parse(readFileSync(new URL('../../deploy/grafana/switchboard.json', import.meta.url), 'utf8')) as {
  uid: string;
  title: string;
  schemaVersion: number;
  id?: unknown;
  templating: { list: Array<{ name: string; type: string; query: unknown; datasource?: { uid: string }; includeAll?: boolean; multi?: boolean }> };
  panels: Panel[];
};
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

describe('the Grafana dashboard (deploy/grafana/switchboard.json)', () => {
  it('is an importable classic dashboard: current schema, a fixed uid, no instance id', () => {
    expect(dashboard.schemaVersion).toBe(42);
    expect(dashboard.uid).toBe('switchboard-cluster');
    expect(dashboard.id).toBeUndefined();
  });

  it('has a Prometheus data source variable, and job and node variables read from switchboard_build_info', () => {
    const [datasource, job, instance] = dashboard.templating.list;
    expect(datasource).toMatchObject({ name: 'datasource', type: 'datasource', query: 'prometheus' });
    expect(job).toMatchObject({ name: 'job', type: 'query', datasource: DATASOURCE, includeAll: true, multi: true });
    expect(job?.query).toMatchObject({ query: 'label_values(switchboard_build_info, job)' });
    expect(instance).toMatchObject({ name: 'instance', type: 'query', datasource: DATASOURCE, includeAll: true, multi: true });
    expect(instance?.query).toMatchObject({ query: 'label_values(switchboard_build_info{job=~"$job"}, instance)' });
  });

  it('queries only through the data source variable, and every series selector filters by $job', () => {
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual(DATASOURCE);
      expect(panel.description, panel.title).toMatch(/\S/u);
      for (const target of panel.targets ?? []) expect(target.datasource, panel.title).toEqual(DATASOURCE);
    }
    for (const { panel, expr } of dashboardQueries()) {
      const selectors = [...expr.matchAll(/([a-z_:]+)\{([^}]*)\}/gu)];
      expect(selectors.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const [selector, , labels] of selectors) expect(labels, `${panel}: ${selector}`).toContain('job=~"$job"');
    }
  });

  it('lays its panels out on the 24-column grid without overlaps, with unique ids', () => {
    const cells = new Set<string>();
    for (const { gridPos, title } of dashboard.panels) {
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
  });

  it('shows what an operator asks first: the cluster, each node, messages, latency, failures, presence, the process', () => {
    const rows = dashboard.panels.filter((panel) => panel.type === 'row').map((panel) => panel.title);
    expect(rows).toEqual(['Cluster overview', 'Per node', 'Messages', 'Latency', 'Failures', 'Presence', 'Process']);
    const titles = dashboard.panels.map((panel) => panel.title);
    for (const title of [
      'Connections per node',
      'Subscriptions per node',
      'Messages in',
      'Delivered',
      'Dropped',
      'Delivery latency (cluster)',
      'Send failures by class',
      'Redis errors and reconnects',
      'Admission refusals',
      'Presence sessions per node',
      'Event-loop delay p99',
      'Memory',
    ]) {
      expect(titles).toContain(title);
    }
  });
});
