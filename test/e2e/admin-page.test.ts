import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, openAcked, type AckedSocket } from '../helpers/admin-client.ts';
import { chromiumAvailable, launchChromium, SCREENSHOTS } from '../helpers/chromium.ts';
import { connect, post, SEND, subscribeReady, type Inbox } from '../helpers/graphql-client.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { tokenFor } from '../helpers/tokens.ts';

const HEARTBEAT_MS = 500;

// docs/admin-page.png is this test's test-results/admin-page.png, copied by hand when the page changes.
describe.skipIf(!chromiumAvailable)('the admin page in Debian chromium: three nodes', () => {
  let redis: RedisProcess;
  let nodes: [NodeProcess, NodeProcess, NodeProcess];
  let browser: Browser;
  const sockets: AckedSocket[] = [];
  let inbox: Inbox;
  let disposeClient: () => void = () => {};
  let sending: ReturnType<typeof setInterval> | undefined;
  let sent = 0;

  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, ADMIN_TOKEN, HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) };
    nodes = (await Promise.all(['a', 'b', 'c'].map((id) => startNode({ ...env, NODE_ID: id })))) as typeof nodes;
    const [a, b, c] = nodes;
    // Connections a: 1 (dana), b: 2 (erin, subscribed), c: 3 (dana + two of frank).
    for (const [node, user] of [[a, 'dana'], [b, 'erin'], [c, 'dana'], [c, 'frank'], [c, 'frank']] as const) {
      sockets.push(await openAcked(node.wsUrl, await tokenFor(user)));
    }
    const client = connect(b.wsUrl, await tokenFor('grace'));
    disposeClient = () => void client.dispose();
    inbox = await subscribeReady(client, { userId: 'grace', sendUrl: a.url, probeToken: await tokenFor('probe') });
    // A steady trickle from node a to grace on node b, so the message chart has something to draw.
    const from = await tokenFor('app');
    sending = setInterval(() => void post(a.url, SEND, { to: 'grace', body: `tick ${(sent += 1)}` }, from), 100);
    browser = await launchChromium();
  });
  afterAll(async () => {
    clearInterval(sending);
    for (const socket of sockets) socket.close();
    disposeClient();
    await browser?.close();
    await Promise.all(nodes?.map((node) => node.stop()) ?? []);
    await redis?.stop();
  });

  const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 15_000, interval: 100 });
  const rows = (page: Page) => page.locator('#node-rows tr');
  const cellOf = (page: Page, node: string, column: number) => page.locator(`#node-rows tr[data-node="${node}"] > :nth-child(${column})`).textContent();

  async function openPage(node: NodeProcess): Promise<{ page: Page; problems: string[]; reads: () => number }> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    // Only this node may be reached: the page must need nothing from any other origin.
    await context.route(/.*/, (route) => (new URL(route.request().url()).port === String(node.port) ? route.continue() : route.abort()));
    const page = await context.newPage();
    const problems: string[] = [];
    let reads = 0;
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => message.type() === 'error' && !message.text().includes('401') && problems.push(message.text()));
    page.on('request', (request) => request.url().endsWith('/admin/api/nodes') && (reads += 1));
    await page.goto(`http://127.0.0.1:${node.port}/admin`);
    await eventually(() => page.title()).toBe('switchboard admin');
    return { page, problems, reads: () => reads };
  }

  it('refuses a wrong token, signs in with the right one, and shows the three nodes, their counts, the totals and the charts', async () => {
    const { page, problems } = await openPage(nodes[1]);
    const tokenField = page.getByLabel('Admin token');
    expect(await tokenField.getAttribute('type')).toBe('password');
    expect(await tokenField.evaluate((element) => element === document.activeElement)).toBe(true);

    await tokenField.fill('short');
    await page.keyboard.press('Enter');
    await eventually(() => page.locator('#sign-in-error').textContent()).toBe('An admin token has at least 32 characters (ADMIN_TOKEN).');
    await tokenField.fill(`${ADMIN_TOKEN}-but-wrong`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => page.locator('#sign-in-error').textContent()).toBe('The server refused this token.');
    expect(await page.locator('#dashboard').isHidden()).toBe(true);

    await tokenField.fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => rows(page).count()).toBe(3);
    expect(await page.evaluate(() => sessionStorage.getItem('switchboard-admin-token'))).toBe(ADMIN_TOKEN);
    expect(await tokenField.inputValue()).toBe(''); // not left in the form
    // Column 5 is Connections; b holds erin's raw socket and grace's subscribed client.
    await eventually(async () => [await cellOf(page, 'a', 5), await cellOf(page, 'b', 5), await cellOf(page, 'c', 5)]).toEqual(['1', '2', '3']);
    expect(await cellOf(page, 'a', 2)).toBe('ready');
    expect(await cellOf(page, 'a', 3)).toMatch(/^\d+\.\d+\.\d+ · node \d+\.\d+\.\d+$/);
    await eventually(() => page.locator('#totals').innerText()).toMatch(/Nodes\s+3\s+Connections\s+6\s+Users\s+5/);
    // Delivered/s (column 10) on b, where grace is, once a heartbeat has seen the trickle.
    await eventually(async () => Number(await cellOf(page, 'b', 10))).toBeGreaterThan(0);

    // Each chart is drawn by uPlot; the per-node ones have a legend entry per node.
    for (const chart of ['chart-messages', 'chart-connections', 'chart-latency']) {
      expect(await page.locator(`#${chart} canvas`).count(), chart).toBe(1);
    }
    const legend = await page.locator('#chart-connections .u-legend .u-series .u-label').allInnerTexts();
    expect(legend.slice(1)).toEqual(['a', 'b', 'c']);
    // Several heartbeats on the time axis before the picture is taken.
    await eventually(() => page.evaluate(() => document.querySelectorAll('#chart-messages .u-legend').length)).toBe(1);
    await page.waitForTimeout(HEARTBEAT_MS * 8);
    expect(inbox.messages.length).toBeGreaterThan(0);
    await page.screenshot({ path: new URL('admin-page.png', SCREENSHOTS).pathname, fullPage: true });
    expect(problems).toEqual([]);
  });

  it('keeps the token for the tab (a reload stays signed in), stops reading while the tab is hidden, reads again when shown', async () => {
    const { page, reads } = await openPage(nodes[0]);
    await page.evaluate((token) => sessionStorage.setItem('switchboard-admin-token', token), ADMIN_TOKEN);
    await page.reload();
    await eventually(() => rows(page).count()).toBe(3);
    await eventually(async () => reads()).toBeGreaterThanOrEqual(2); // it refreshes on its own

    const hide = (hidden: boolean) =>
      page.evaluate((value) => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => value });
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (value ? 'hidden' : 'visible') });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await hide(true);
    const whileHidden = reads();
    await page.waitForTimeout(5_500); // longer than the slowest refresh period (5 s)
    expect(reads()).toBe(whileHidden);
    expect(await page.locator('#updated').textContent()).toContain('paused while the tab is hidden');
    await hide(false);
    await eventually(async () => reads()).toBeGreaterThan(whileHidden);

    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.evaluate(() => sessionStorage.getItem('switchboard-admin-token'))).toBeNull();
    expect(await page.locator('#sign-in').isVisible()).toBe(true);
  });

  it("looks a user up (sessions per node, retained messages) and disconnects every session on every node with 4604", async () => {
    const { page } = await openPage(nodes[2]);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await eventually(() => rows(page).count()).toBe(3);
    await page.getByLabel('User id').fill('dana');
    await page.getByRole('button', { name: 'Look up' }).click();
    await eventually(() => page.locator('#user-result').textContent()).toBe('dana is online; 0 retained messages; sessions on a: 1, c: 1');
    await page.getByRole('button', { name: 'Disconnect everywhere' }).click();
    await eventually(() => page.locator('#user-result').textContent()).toBe('Closed 2 sessions of dana on 2 nodes');
    const dana = [sockets[0], sockets[2]] as AckedSocket[];
    await eventually(async () => dana.map((socket) => socket.closeCode())).toEqual([4604, 4604]);
    expect(sockets.slice(3).map((socket) => socket.closeCode())).toEqual([undefined, undefined]); // frank stays
  });
});
