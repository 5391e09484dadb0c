import type { Viewer } from '../auth/verifier.ts';
import type { Services } from '../services.ts';

/**
 * What every resolver receives. `viewer` is set only for a verified token; `authProblem` says why a
 * token that was presented was refused, so `UNAUTHENTICATED` errors can tell the client.
 */
export interface GraphQLContext {
  readonly viewer: Viewer | undefined;
  readonly authProblem: string | undefined;
  readonly services: Services;
}
