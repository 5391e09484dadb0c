import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startNode } from '../helpers/node-process.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/bundle-web.mjs', import.meta.url));

describe('the demo page bundle (web/dist/bundles.js, built from web/demo and client/src)', () => {
  it('a node serves what scripts/bundle-web.mjs makes from today’s web/demo and client/src (no stale bundle)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-bundle-'));
    const node = await startNode();
    try {
      await promisify(execFile)(process.execPath, [SCRIPT, '--out', dir]);
      const fresh = (await import(join(dir, 'bundles.js'))) as { DEMO_SCRIPT: string };
      const served = await (await fetch(`http://127.0.0.1:${node.port}/demo.js`)).text();
      expect(served.startsWith(`${fresh.DEMO_SCRIPT}\n`)).toBe(true);
    } finally {
      await node.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('Node and Deno (no build step, no read permission) serve the same /demo.js, with the client in it', async () => {
    const nodes = await Promise.all([startNode(), startNode({}, { runtime: 'deno' })]);
    try {
      const scripts = await Promise.all(nodes.map(async (node) => (await fetch(`http://127.0.0.1:${node.port}/demo.js`)).text()));
      expect(scripts[1]).toBe(scripts[0]);
      expect(scripts[0]).toContain('switchboardDemo.startDemo({"graphqlPath":"/graphql"});');
      expect(scripts[0]).toContain('Cannot follow messages'); // @switchboard/client's own text
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
    }
  });
});
