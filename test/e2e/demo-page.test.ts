import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, SCREENSHOTS } from '../helpers/chromium.ts';
import { post, SEND } from '../helpers/graphql-client.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';
import { tokenFor } from '../helpers/tokens.ts';

describe.skipIf(!chromiumAvailable)('demo page in Debian chromium: two people on two nodes', () => {
  let redis: RedisProcess;
  let nodes: [NodeProcess, NodeProcess];
  let browser: Browser;

  beforeAll(async () => {
    redis = await startRedis();
    // No JWT configuration: development mode, so the page gets tokens from POST /dev/token.
    const env = { REDIS_URL: redis.url, JWT_SECRET: undefined };
    nodes = [await startNode({ ...env, NODE_ID: 'node-a' }), await startNode({ ...env, NODE_ID: 'node-b' })];
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all(nodes?.map((node) => node.stop()) ?? []);
    await redis?.stop();
  });

  /** Polls `read` until it satisfies `check` (an expect); 10 s, like every other wait here. */
  const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

  async function devToken(node: NodeProcess, userId: string): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${node.port}/dev/token`, { method: 'POST', body: JSON.stringify({ userId }) });
    return ((await response.json()) as { token: string }).token;
  }

  /** A person in their own browser context (own storage), signing in on `node`'s demo page. */
  async function person(name: string, node: NodeProcess): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 720, height: 640 } });
    // Only this node may be reached: the page must need nothing from any other origin.
    await context.route(/.*/, (route) =>
      new URL(route.request().url()).port === String(node.port) ? route.continue() : route.abort(),
    );
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    await page.goto(`http://127.0.0.1:${node.port}/`);
    await eventually(() => page.title()).toBe('switchboard demo');
    // Keyboard only: the name field has focus on load; Enter submits.
    await page.keyboard.type(name);
    await page.keyboard.press('Enter');
    await eventually(() => page.locator('#status').textContent()).toBe(`Connected to node ${node.nodeId}`);
    expect(await page.locator('#me').textContent()).toBe(name);
    expect(await page.locator('#node-id').textContent()).toBe(node.nodeId);
    expect(problems).toEqual([]);
    return page;
  }

  async function sendFrom(page: Page, to: string, body: string): Promise<void> {
    await page.getByLabel('To', { exact: true }).fill(to);
    await page.getByLabel('Message', { exact: true }).fill(body);
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await eventually(() => page.getByLabel('Message', { exact: true }).inputValue()).toBe('');
  }

  const log = (page: Page) => page.getByRole('log').locator('li').allInnerTexts();

  it('alice on node-a and bob on node-b exchange messages live; messages sent before sign-in are caught up', async () => {
    // Something waiting for each of them before they open the page (sent through node-b over HTTP).
    const from = await devToken(nodes[1], 'switchboard');
    for (const to of ['alice', 'bob']) {
      const result = await post(nodes[1].url, SEND, { to, body: `Welcome, ${to}!` }, from);
      expect(result.errors).toBeUndefined();
    }

    const alice = await person('alice', nodes[0]);
    const bob = await person('bob', nodes[1]);
    await eventually(() => log(alice)).toEqual([expect.stringContaining('Welcome, alice!')]);
    await eventually(() => log(bob)).toEqual([expect.stringContaining('Welcome, bob!')]);

    await sendFrom(alice, 'bob', 'Hi Bob, this is Alice on node-a.');
    await eventually(() => log(bob)).toEqual([
      expect.stringContaining('Welcome, bob!'),
      expect.stringMatching(/^From alice[\s\S]*Hi Bob, this is Alice on node-a\.$/),
    ]);
    await sendFrom(bob, 'alice', 'Hello Alice! Bob here, on node-b.');
    await eventually(() => log(alice)).toEqual([
      expect.stringContaining('Welcome, alice!'),
      expect.stringMatching(/^To bob[\s\S]*Hi Bob, this is Alice on node-a\.$/),
      expect.stringMatching(/^From bob[\s\S]*Hello Alice! Bob here, on node-b\.$/),
    ]);

    // The incoming message list is announced to screen readers.
    expect(await bob.getByRole('log').getAttribute('aria-live')).toBe('polite');
    await alice.screenshot({ path: new URL('e2e-alice.png', SCREENSHOTS).pathname, fullPage: true });
    await bob.screenshot({ path: new URL('e2e-bob.png', SCREENSHOTS).pathname, fullPage: true });
  });

  it('coming back to the page resumes from the cursor in localStorage: every missed message once, and "Recovered N messages"', async () => {
    const from = await devToken(nodes[1], 'switchboard');
    const send = async (body: string) => expect((await post(nodes[1].url, SEND, { to: 'erin', body }, from)).errors).toBeUndefined();
    await send('before sign-in');
    const erin = await person('erin', nodes[0]);
    await eventually(() => log(erin)).toEqual([expect.stringContaining('before sign-in')]);
    for (const body of ['live 1', 'live 2']) await send(body);
    await eventually(() => log(erin)).toHaveLength(3);

    // Away from the page (its socket is gone) while four messages arrive, then back: the page starts
    // again from nothing but its storage (the token in sessionStorage, the cursor in localStorage).
    await erin.goto('about:blank');
    const missed = ['missed 1', 'missed 2', 'missed 3', 'missed 4'];
    for (const body of missed) await send(body);
    await erin.goto(`http://127.0.0.1:${nodes[0].port}/`);
    await eventually(() => erin.locator('#status').textContent()).toBe(`Connected to node ${nodes[0].nodeId}`);
    await eventually(() => erin.locator('#recovery').textContent()).toBe('Recovered 4 messages.');
    await eventually(() => log(erin)).toEqual(missed.map((body) => expect.stringMatching(new RegExp(`^From switchboard[\\s\\S]*${body}$`))));
    // And live again after the resume.
    await send('after the reload');
    await eventually(() => log(erin)).toEqual([...missed, 'after the reload'].map((body) => expect.stringContaining(body)));
    await erin.screenshot({ path: new URL('e2e-recovered.png', SCREENSHOTS).pathname, fullPage: true });
  });

  it('a bad user name is refused with the server’s reason, and the page stays usable', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${nodes[0].port}/`);
    await page.getByLabel('User name').fill('has space');
    await page.getByRole('button', { name: 'Connect' }).click();
    await eventually(() => page.getByRole('alert').first().textContent())
      .toBe("Cannot sign in: Cannot issue token: 'userId' is invalid: it contains whitespace or a control character");
    expect(await page.locator('#chat').isHidden()).toBe(true);
    await context.close();
  });

  it('without /dev/token (production) the page asks for a token, and a pasted token connects', async () => {
    const production = await startNode({ REDIS_URL: redis.url, NODE_ENV: 'production', NODE_ID: 'node-prod' });
    try {
      const context = await browser.newContext({ viewport: { width: 720, height: 480 } });
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${production.port}/`);
      await page.getByLabel('User name').fill('carol');
      await page.getByRole('button', { name: 'Connect' }).click();
      await eventually(() => page.getByRole('alert').first().textContent()).toBe(
        'This server issues no development tokens: paste a token for your user.',
      );
      expect(await page.getByLabel(/^Token/).evaluate((element) => element === document.activeElement)).toBe(true);
      await page.screenshot({ path: new URL('e2e-token.png', SCREENSHOTS).pathname });
      await page.getByLabel(/^Token/).fill(`Bearer ${await tokenFor('carol')}`);
      await page.getByRole('button', { name: 'Connect' }).click();
      await eventually(() => page.locator('#status').textContent()).toBe('Connected to node node-prod');
      expect(await page.locator('#me').textContent()).toBe('carol');
      await context.close();
    } finally {
      await production.stop();
    }
  });
});
