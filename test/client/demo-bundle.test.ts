import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startNode } from '../helpers/node-process.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/bundle-demo.mjs', import.meta.url));

describe('the demo page bundle (src/transport/demo-bundle.generated.ts)', () => {
  it('is what scripts/bundle-demo.mjs makes from demo-client.ts and client/src today', async () => {
    const run = promisify(execFile)(process.execPath, [SCRIPT, '--check']);
    await expect(run).resolves.toMatchObject({ stderr: '' });
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
