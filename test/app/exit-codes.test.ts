import { describe, expect, it } from 'vitest';
import { RedisStartError } from '../../src/redis/faults.ts';
import { EXIT, listenFailure, startFailure, unexpected } from '../../src/app/exit-codes.ts';

/** An error as Deno throws it from `Deno.serve`: a class name, no `code`. */
const denoError = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('start-up faults', () => {
  it('names a port in use and a privileged port, on Node and on Deno alike', () => {
    const inUse = `Cannot listen on port 4000: the address is already in use (EADDRINUSE): stop the process that holds it, or set PORT to a free port`;
    expect(listenFailure(Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' }), 4000)).toMatchObject({ message: inUse, exitCode: EXIT.portInUse });
    expect(listenFailure(denoError('AddrInUse', 'Address already in use (os error 98)'), 4000)).toMatchObject({ message: inUse, exitCode: 75 });
    expect(listenFailure(denoError('PermissionDenied', 'Permission denied (os error 13)'), 80).exitCode).toBe(EXIT.permission);
    expect(listenFailure(new Error('something odd'), 80)).toMatchObject({ exitCode: EXIT.software, message: 'Cannot listen on port 80: something odd: check PORT and the host\'s network configuration' });
  });

  it('maps each Redis fault that stops a start to its exit code', () => {
    const codes = (['auth', 'noperm', 'tls', 'readonly'] as const).map((fault) => startFailure(new RedisStartError(fault, 'x'), 'REDIS_URL').exitCode);
    expect(codes).toEqual([77, 77, 76, 78]);
    expect(startFailure(new Error('a bug'), 'REDIS_URL')).toMatchObject({ message: 'Cannot start: a bug', exitCode: EXIT.software });
  });

  it('describes an error nothing handled as a bug, with its stack in a field of the one line', () => {
    const fatal = unexpected(new TypeError('x is not a function'));
    expect(fatal.message).toBe('Stopping: an unexpected error: x is not a function: this is a bug, please report it with this line');
    expect(fatal.exitCode).toBe(70);
    expect(String(fatal.fields['stack'])).toContain('TypeError: x is not a function');
  });
});
