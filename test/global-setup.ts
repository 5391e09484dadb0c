import { compileProject } from './helpers/compile.ts';

/**
 * Integration tests run the real service as separate processes, so compile it once first; the
 * benchmark smokes import @switchboard/client from its build (client/dist), so compile that too.
 * `npm test` has bundled web/dist before vitest starts.
 */
export default function setup(): void {
  compileProject('tsconfig.build.json');
  compileProject('client/tsconfig.json');
}
