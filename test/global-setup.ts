import { execFileSync } from 'node:child_process';

/** Integration tests run the real service as separate processes, so compile it once first. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
