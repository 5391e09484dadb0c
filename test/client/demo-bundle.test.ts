import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/bundle-demo.mjs', import.meta.url));

describe('the demo page bundle (src/transport/demo-bundle.generated.ts)', () => {
  it('is what scripts/bundle-demo.mjs makes from demo-client.ts and client/src today', async () => {
    const run = promisify(execFile)(process.execPath, [SCRIPT, '--check']);
    await expect(run).resolves.toMatchObject({ stderr: '' });
  });
});
