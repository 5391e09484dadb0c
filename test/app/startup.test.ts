import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../src/app/config.ts';
import { runMain, startNode } from '../helpers/node-process.ts';

describe('starting the service', () => {
  it('lists every configuration variable with --help', async () => {
    const { code, stdout } = await runMain({}, ['--help']);
    expect(code).toBe(0);
    for (const { name } of CONFIG_VARIABLES) expect(stdout).toContain(name);
  });

  it('refuses to start in production without JWT configuration, saying why', async () => {
    const { code, stderr } = await runMain({ NODE_ENV: 'production', PORT: '0' });
    expect(code).toBe(78);
    expect(stderr).toBe(
      'switchboard: Cannot start in production: no JWT configuration: set JWT_SECRET or JWT_JWKS_URL (NODE_ENV is production)\n',
    );
  });

  it('refuses a bad value, naming the variable, the value and what is allowed', async () => {
    const { code, stderr } = await runMain({ ROUTING: 'everyone', PORT: '0' });
    expect(code).toBe(78);
    expect(stderr).toBe("switchboard: Invalid ROUTING: expected one of user, broadcast: current value 'everyone'\n");
  });

  it('warns loudly when it uses the development secret', async () => {
    const node = await startNode({ JWT_SECRET: undefined });
    try {
      const warning = node.logs.find((line) => String(line['msg']).startsWith('USING THE FIXED DEVELOPMENT JWT SECRET'));
      expect(warning?.['level']).toBe(40);
    } finally {
      await node.stop();
    }
  });
});
