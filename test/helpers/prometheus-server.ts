import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './children.ts';
import { freePort } from '../../bench/lib/free-port.ts';
import { PROMETHEUS } from './prometheus-tools.ts';
import { waitFor } from './wait-for.ts';

/** One sample of an instant query: its labels and value. */
export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

/** A private Debian `prometheus` server scraping switchboard nodes every second. */
export interface PrometheusServer {
  readonly url: string;
  /** An instant query now. @throws when Prometheus refuses the expression (its error message). */
  query(expr: string): Promise<Sample[]>;
  /** GET an API path (`/api/v1/...`) and return its `data`. */
  api(path: string): Promise<unknown>;
  stop(): Promise<void>;
}

const DEPLOY = new URL('../../deploy/prometheus/', import.meta.url);

/**
 * Starts Prometheus with deploy/prometheus/prometheus.yml as shipped, its rule files beside it, and
 * only what must change here changed: a 1 s scrape and evaluation interval and the targets (the
 * nodes' 127.0.0.1:<port>). Its own temporary directory holds config and TSDB; resolves once ready.
 */
export async function startPrometheus(targets: readonly string[]): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-prometheus-'));
  for (const file of ['recording.yml', 'alerts.yml']) copyFileSync(new URL(file, DEPLOY), join(dir, file));
  const shipped = readFileSync(new URL('prometheus.yml', DEPLOY), 'utf8');
  const config = shipped
    .replace('scrape_interval: 15s', 'scrape_interval: 1s')
    .replace('evaluation_interval: 15s', 'evaluation_interval: 1s')
    .replace("targets: ['node-a:4000', 'node-b:4000']", `targets: [${targets.map((target) => `'${target}'`).join(', ')}]`);
  if (config === shipped || !config.includes(targets[0] ?? '')) throw new Error('deploy/prometheus/prometheus.yml no longer has the lines this helper replaces');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = track(
    spawn(
      PROMETHEUS ?? 'prometheus',
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    ),
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await waitFor('prometheus to be ready', async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
    return (await fetch(`${url}/-/ready`)).ok;
  });
  const api = async (path: string): Promise<unknown> => {
    const body = (await (await fetch(`${url}${path}`)).json()) as { status: string; data?: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus refused ${path}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    api,
    async query(expr) {
      const data = (await api(`/api/v1/query?query=${encodeURIComponent(expr)}`)) as { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      if (data.resultType !== 'vector') throw new Error(`${expr} is a ${data.resultType}, not a vector`);
      return data.result.map((sample) => ({ metric: sample.metric, value: Number(sample.value[1]) }));
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
