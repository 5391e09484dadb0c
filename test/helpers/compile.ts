import { execFileSync } from 'node:child_process';

/**
 * TypeScript 7's native compiler (the `typescript7` dev dependency). Both it and the
 * `typescript` package (5.9, kept for dependency-cruiser's JS API) install a `tsc` bin, so it is run
 * by path, never as `npx tsc`.
 */
const TSC = 'node_modules/typescript7/bin/tsc';

/** Compiles one tsconfig project (relative to the repository root) with tsc; throws when tsc fails. */
export function compileProject(project: string): void {
  execFileSync(process.execPath, [TSC, '-p', project], { stdio: 'inherit' });
}
