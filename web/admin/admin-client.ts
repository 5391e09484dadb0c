import uPlot from 'uplot';
import type { NodeSample, NodeStatus } from '../../src/cluster/node-status.ts';

/**
 * The admin page's browser script (`GET /admin.js`), bundled with uPlot at build time by
 * scripts/bundle-web.mjs. It reads the admin API (README "Admin API") with the token the operator
 * typed, which it keeps in `sessionStorage` (gone when the tab closes, never in a cookie, so no
 * other site can make the browser send it). Every few seconds (the cluster's heartbeat, 2–5 s) it
 * reads `/admin/api/nodes` and `/admin/api/series` and redraws the totals, the three charts and the
 * node table; while the tab is hidden it reads nothing, and it reads at once when the tab shows again.
 */

/** What `GET /admin/api/nodes` answers. */
interface NodesAnswer {
  readonly at: string;
  readonly heartbeatMs: number;
  readonly nodes: readonly NodeStatus[];
  readonly totals: Readonly<Record<'nodes' | 'connections' | 'users' | 'subscriptions' | 'sseStreams' | 'sentPerSecond' | 'deliveredPerSecond' | 'droppedPerSecond', number>>;
}

/** What `GET /admin/api/series` answers: each live node's samples, oldest first, 15 minutes at most. */
interface SeriesAnswer {
  readonly heartbeatMs: number;
  readonly nodes: Readonly<Record<string, readonly NodeSample[]>>;
}

interface UserAnswer {
  readonly userId: string;
  readonly online: boolean;
  readonly historyLength: number;
  readonly sessions: readonly { readonly nodeId: string; readonly sessions: number }[];
  readonly unanswered: readonly string[];
}

interface DisconnectAnswer {
  readonly userId: string;
  readonly closed: number;
  readonly nodes: readonly { readonly nodeId: string; readonly closed: number }[];
  readonly unanswered: readonly string[];
}

/** An answer the page shows as an error: the API's coded error, or what went wrong on the way. */
class AdminApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'switchboard-admin-token';
const API = '/admin/api';
/** The server refuses tokens shorter than this (ADMIN_TOKEN's minimum), so the form does too. */
const MIN_TOKEN_LENGTH = 32;
/** Line colours of the per-node series, in node order; they repeat past eight nodes. */
const PALETTE = ['#0b63ce', '#d9480f', '#2b8a3e', '#ae3ec9', '#e67700', '#1098ad', '#c2255c', '#5c940d'];
const CHART_HEIGHT = 180;

export function startAdmin(): void {
  const element = <T extends HTMLElement>(id: string): T => {
    const found = document.getElementById(id);
    if (found === null) throw new Error(`Cannot start the admin page: element #${id} is missing`);
    return found as T;
  };
  const signIn = element<HTMLElement>('sign-in');
  const signInForm = element<HTMLFormElement>('sign-in-form');
  const tokenInput = element<HTMLInputElement>('admin-token');
  const signInError = element<HTMLElement>('sign-in-error');
  const dashboard = element<HTMLElement>('dashboard');
  const updated = element<HTMLElement>('updated');
  const signOutButton = element<HTMLButtonElement>('sign-out');
  const totalsList = element<HTMLElement>('totals');
  const nodeRows = element<HTMLTableSectionElement>('node-rows');
  const refreshError = element<HTMLElement>('refresh-error');
  const userForm = element<HTMLFormElement>('user-form');
  const userInput = element<HTMLInputElement>('user-id');
  const disconnectButton = element<HTMLButtonElement>('disconnect');
  const userResult = element<HTMLElement>('user-result');

  let token: string | undefined = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let heartbeatMs = 5_000;
  let lastUpdate = '';
  const charts = new Map<string, { plot: uPlot; key: string }>();

  async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await fetch(`${API}${path}`, { ...init, headers: { authorization: `Bearer ${token ?? ''}` }, cache: 'no-store' });
    if (response.ok) return (await response.json()) as T;
    const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
    throw new AdminApiError(response.status, body?.error?.message ?? `The server answered ${response.status}`);
  }

  function show(signedIn: boolean): void {
    signIn.hidden = signedIn;
    dashboard.hidden = !signedIn;
    if (!signedIn) tokenInput.focus();
  }

  function signOut(reason: string): void {
    token = undefined;
    sessionStorage.removeItem(TOKEN_KEY);
    clearTimeout(timer);
    signInError.textContent = reason;
    show(false);
  }

  /** Reads both routes and redraws; then the next read in one heartbeat, unless the tab is hidden. */
  async function refresh(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    try {
      const [nodes, series] = await Promise.all([api<NodesAnswer>('/nodes'), api<SeriesAnswer>('/series')]);
      heartbeatMs = nodes.heartbeatMs;
      renderTotals(nodes);
      renderNodes(nodes);
      renderCharts(nodes.nodes, series);
      refreshError.textContent = '';
      lastUpdate = `Updated ${new Date(nodes.at).toLocaleTimeString()} from ${nodes.totals.nodes} node${nodes.totals.nodes === 1 ? '' : 's'}`;
      showUpdated();
    } catch (error) {
      if (error instanceof AdminApiError && error.status === 401) return signOut('The server refused the token: sign in again.');
      refreshError.textContent = `Cannot refresh: ${error instanceof Error ? error.message : String(error)}`;
    }
    schedule();
  }

  /** The status line: when the figures were read, and whether reading is paused (a read in flight may end after the tab hid). */
  function showUpdated(): void {
    updated.textContent = document.hidden ? `${lastUpdate} · paused while the tab is hidden` : lastUpdate;
  }

  function schedule(): void {
    if (token === undefined || document.hidden || timer !== undefined) return;
    timer = setTimeout(() => void refresh(), Math.min(5_000, Math.max(2_000, heartbeatMs)));
  }

  document.addEventListener('visibilitychange', () => {
    if (token === undefined) return;
    if (document.hidden) {
      clearTimeout(timer);
      timer = undefined;
      showUpdated();
    } else {
      void refresh();
    }
  });

  signInForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const typed = tokenInput.value.trim();
    if (typed.length < MIN_TOKEN_LENGTH) {
      signInError.textContent = `An admin token has at least ${MIN_TOKEN_LENGTH} characters (ADMIN_TOKEN).`;
      return;
    }
    token = typed;
    signInError.textContent = '';
    void api<NodesAnswer>('/nodes').then(
      () => {
        sessionStorage.setItem(TOKEN_KEY, typed);
        tokenInput.value = '';
        show(true);
        void refresh();
      },
      (error: unknown) => {
        token = undefined;
        signInError.textContent =
          error instanceof AdminApiError && error.status === 401 ? 'The server refused this token.' : `Cannot sign in: ${error instanceof Error ? error.message : String(error)}`;
      },
    );
  });

  signOutButton.addEventListener('click', () => signOut(''));

  const lookedUp = (): string | undefined => {
    const userId = userInput.value.trim();
    if (userId === '') userResult.textContent = 'Type a user id first.';
    return userId === '' ? undefined : userId;
  };

  userForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const userId = lookedUp();
    if (userId === undefined) return;
    api<UserAnswer>(`/users/${encodeURIComponent(userId)}`).then(
      (user) => {
        const where = user.sessions.map(({ nodeId, sessions }) => `${nodeId}: ${sessions}`).join(', ');
        userResult.textContent =
          `${user.userId} is ${user.online ? 'online' : 'offline'}; ${user.historyLength} retained message${user.historyLength === 1 ? '' : 's'}; ` +
          (where === '' ? 'no sessions' : `sessions on ${where}`) +
          unansweredNote(user.unanswered);
      },
      (error: unknown) => showUserError(error),
    );
  });

  disconnectButton.addEventListener('click', () => {
    const userId = lookedUp();
    if (userId === undefined) return;
    api<DisconnectAnswer>(`/users/${encodeURIComponent(userId)}/disconnect`, { method: 'POST' }).then(
      (outcome) => {
        const nodes = outcome.nodes.filter(({ closed }) => closed > 0).length;
        userResult.textContent = `Closed ${outcome.closed} session${outcome.closed === 1 ? '' : 's'} of ${outcome.userId} on ${nodes} node${nodes === 1 ? '' : 's'}${unansweredNote(outcome.unanswered)}`;
      },
      (error: unknown) => showUserError(error),
    );
  });

  function showUserError(error: unknown): void {
    if (error instanceof AdminApiError && error.status === 401) return signOut('The server refused the token: sign in again.');
    userResult.textContent = error instanceof Error ? error.message : String(error);
  }

  function renderTotals(answer: NodesAnswer): void {
    const t = answer.totals;
    const figures: [string, string][] = [
      ['Nodes', String(t.nodes)],
      ['Connections', String(t.connections)],
      ['Users', String(t.users)],
      ['Subscriptions', String(t.subscriptions)],
      ['SSE streams', String(t.sseStreams)],
      ['Sent/s', rate(t.sentPerSecond)],
      ['Delivered/s', rate(t.deliveredPerSecond)],
      ['Dropped/s', rate(t.droppedPerSecond)],
    ];
    totalsList.replaceChildren(
      ...figures.map(([name, value]) => {
        const item = document.createElement('div');
        item.append(cell('dt', name), cell('dd', value));
        return item;
      }),
    );
  }

  function renderNodes(answer: NodesAnswer): void {
    const now = Date.parse(answer.at);
    nodeRows.replaceChildren(
      ...answer.nodes.map((node) => {
        const row = document.createElement('tr');
        row.dataset['node'] = node.id;
        const state = nodeState(node);
        const stateCell = cell('td', state.text, 'text');
        stateCell.className = `text state-${state.tone}`;
        row.append(
          cell('th', node.id),
          stateCell,
          cell('td', `${node.version} · ${node.runtime} ${node.runtimeVersion}`, 'text'),
          cell('td', duration(node.uptimeSeconds)),
          cell('td', String(node.connections)),
          cell('td', String(node.users)),
          cell('td', String(node.subscriptions)),
          cell('td', String(node.sseStreams)),
          cell('td', rate(node.messages.sentPerSecond)),
          cell('td', rate(node.messages.deliveredPerSecond)),
          cell('td', rate(node.messages.droppedPerSecond)),
          cell('td', millis(node.deliveryLatencyMs.p50)),
          cell('td', millis(node.deliveryLatencyMs.p99)),
          cell('td', node.rssBytes === 0 ? '–' : `${(node.rssBytes / 2 ** 20).toFixed(0)} MiB`),
          cell('td', `${node.eventLoopDelayMs.toFixed(1)} ms`),
          cell('td', `${node.redis.mode}${node.redis.healthy ? '' : ' (down)'}`, 'text'),
          cell('td', `${Math.max(0, Math.round((now - Date.parse(node.lastSeenAt)) / 1000))} s ago`),
        );
        return row;
      }),
    );
  }

  /**
   * The three charts over the series: cluster messages/s (sent and delivered), connections per node
   * and delivery p99 per node. Nodes beat at their own moments, so samples are put on one time axis
   * in heartbeat-wide steps; a node without a sample in a step leaves a gap there.
   */
  function renderCharts(nodes: readonly NodeStatus[], answer: SeriesAnswer): void {
    const step = Math.max(1, answer.heartbeatMs);
    const ids = nodes.map((node) => node.id).filter((id) => answer.nodes[id] !== undefined);
    const slots = new Map<number, Map<string, NodeSample>>();
    for (const id of ids) {
      for (const sample of answer.nodes[id] ?? []) {
        const slot = Math.round(sample.at / step) * step;
        const bySlot = slots.get(slot) ?? new Map<string, NodeSample>();
        bySlot.set(id, sample);
        slots.set(slot, bySlot);
      }
    }
    const times = [...slots.keys()].sort((a, b) => a - b);
    const at = (time: number) => slots.get(time) as Map<string, NodeSample>;
    // The newest step while some nodes have not beaten in it yet: left out until they have, or the
    // cluster sums would dip at the right edge on every refresh.
    const [last, beforeLast] = [times.at(-1), times.at(-2)];
    if (last !== undefined && beforeLast !== undefined && at(last).size < at(beforeLast).size) times.pop();
    const x = times.map((time) => time / 1000);
    const sum = (pick: (sample: NodeSample) => number) =>
      times.map((time) => {
        const samples = [...at(time).values()];
        return samples.length === 0 ? null : Math.round(samples.reduce((total, sample) => total + pick(sample), 0) * 100) / 100;
      });
    const perNode = (pick: (sample: NodeSample) => number | null) =>
      ids.map((id) => times.map((time) => {
        const sample = at(time).get(id);
        return sample === undefined ? null : pick(sample);
      }));
    const nodeSeries = ids.map((id, index) => ({ label: id, stroke: PALETTE[index % PALETTE.length] as string, width: 2 }));

    draw('chart-messages', 'messages/s', [
      { label: 'sent/s', stroke: PALETTE[0] as string, width: 2, dash: [6, 4] },
      { label: 'delivered/s', stroke: PALETTE[2] as string, width: 2 },
    ], [x, sum((s) => s.sentPerSecond), sum((s) => s.deliveredPerSecond)]);
    draw('chart-connections', 'connections', nodeSeries, [x, ...perNode((s) => s.connections)]);
    draw('chart-latency', 'ms', nodeSeries, [x, ...perNode((s) => s.p99Ms)]);
  }

  /** Draws (or updates) the chart in `#id`: a new uPlot when its series changed, else new data. */
  function draw(id: string, unit: string, series: uPlot.Series[], data: (number | null)[][]): void {
    const container = element<HTMLElement>(id);
    const key = series.map((s) => s.label).join('\n');
    const existing = charts.get(id);
    const aligned = data as uPlot.AlignedData;
    if (existing !== undefined && existing.key === key) {
      existing.plot.setData(aligned);
      return;
    }
    existing?.plot.destroy();
    const plot = new uPlot(
      {
        width: Math.max(240, container.clientWidth - 8),
        height: CHART_HEIGHT,
        series: [{}, ...series.map((s) => ({ ...s, value: (_: uPlot, v: number | null) => (v === null ? '–' : `${v} ${unit}`) }))],
        axes: [{}, { size: 56 }],
        scales: { x: { time: true } },
        legend: { live: true },
      },
      aligned,
      container,
    );
    charts.set(id, { plot, key });
  }

  window.addEventListener('resize', () => {
    for (const [id, { plot }] of charts) plot.setSize({ width: Math.max(240, element<HTMLElement>(id).clientWidth - 8), height: CHART_HEIGHT });
  });

  if (token === undefined) {
    show(false);
  } else {
    show(true);
    void refresh();
  }
}

function cell(tag: 'td' | 'th' | 'dt' | 'dd', text: string, className?: string): HTMLElement {
  const made = document.createElement(tag);
  made.textContent = text;
  if (className !== undefined) made.className = className;
  if (made instanceof HTMLTableCellElement && tag === 'th') made.scope = 'row';
  return made;
}

function nodeState(node: NodeStatus): { text: string; tone: 'ok' | 'warn' | 'bad' } {
  if (node.draining) return { text: 'draining', tone: 'warn' };
  if (!node.ready) return { text: 'not ready', tone: 'bad' };
  if (!node.redis.healthy) return { text: 'Redis down', tone: 'bad' };
  if (node.admission.shedding) return { text: 'shedding', tone: 'warn' };
  return { text: 'ready', tone: 'ok' };
}

function unansweredNote(unanswered: readonly string[]): string {
  return unanswered.length === 0 ? '' : ` (no answer from ${unanswered.join(', ')})`;
}

const rate = (perSecond: number) => (perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(1));
const millis = (ms: number | null) => (ms === null ? '–' : `${ms.toFixed(ms >= 10 ? 0 : 1)} ms`);

function duration(seconds: number): string {
  if (seconds < 120) return `${Math.floor(seconds)} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}
