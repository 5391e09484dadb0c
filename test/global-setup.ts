import { execFileSync } from 'node:child_process';

/**
 * Integration tests run the real service as separate processes, so compile it once first; the
 * benchmark smokes import @switchboard/client from its build (client/dist), so compile that too.
 * `npm test` has bundled web/dist before vitest starts.
 */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync('npx', ['tsc', '-p', 'client/tsconfig.json'], { stdio: 'inherit' });
}
