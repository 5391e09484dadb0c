import type { Viewer } from '../auth/verifier.ts';
import { clientError } from './errors.ts';
import type { GraphQLContext } from './context.ts';

/** The authenticated caller. @throws UNAUTHENTICATED */
export function requireViewer(context: GraphQLContext): Viewer {
  if (context.viewer !== undefined) return context.viewer;
  throw clientError('UNAUTHENTICATED', context.authProblem ?? 'Not authenticated: send a bearer token');
}

/** The authenticated user's id. @throws UNAUTHENTICATED */
export function requireUser(context: GraphQLContext): string {
  return requireViewer(context).userId;
}
