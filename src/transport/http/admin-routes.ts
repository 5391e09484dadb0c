import type { Plugin } from 'graphql-yoga';
import type { Bus } from '../../bus/bus.ts';
import type { ClusterControl, ControlAction } from '../../cluster/cluster-control.ts';
import type { NodeStatus } from '../../cluster/node-status.ts';
import type { StatusBoard } from '../../cluster/status-board.ts';
import { userIdProblem } from '../../domain/user-id.ts';
import type { Presence } from '../../presence/presence.ts';
import { errorMessage } from '../../util/error-message.ts';
import type { Logger } from '../../util/logger.ts';
import type { AdminAuth } from './admin-auth.ts';
import { clientAddressOf } from './request-info.ts';

export interface AdminRoutesOptions {
  readonly auth: AdminAuth;
  readonly board: StatusBoard;
  readonly control: ClusterControl;
  readonly presence: Presence;
  readonly bus: Bus;
  readonly logger: Logger;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
const USER_PATH = /^\/admin\/api\/users\/([^/]+)(\/disconnect)?$/u;

type ErrorBody = { readonly error: { readonly code: string; readonly message: string; readonly retryAfterMs?: number } };

/** The cluster totals of the node table. `users` is a sum over nodes: a user on two nodes counts twice. */
function totals(nodes: readonly NodeStatus[]) {
  const sum = (pick: (node: NodeStatus) => number) => Math.round(nodes.reduce((total, node) => total + pick(node), 0) * 100) / 100;
  return {
    nodes: nodes.length,
    connections: sum((node) => node.connections),
    users: sum((node) => node.users),
    subscriptions: sum((node) => node.subscriptions),
    sseStreams: sum((node) => node.sseStreams),
    sentPerSecond: sum((node) => node.messages.sentPerSecond),
    deliveredPerSecond: sum((node) => node.messages.deliveredPerSecond),
    droppedPerSecond: sum((node) => node.messages.droppedPerSecond),
  };
}

/**
 * The admin API (README "Admin API", SECURITY.md): `GET /admin/api/nodes`, `GET /admin/api/series`,
 * `GET /admin/api/users/{userId}`, `POST /admin/api/users/{userId}/disconnect`, each behind
 * `Authorization: Bearer <ADMIN_TOKEN>` (401; 429 after repeated failures from one address). Counts
 * only: no route ever returns a message body. Every action and every refused attempt is one log line
 * saying who (the client address) and what. Mounted only when ADMIN_TOKEN is set; without it the
 * paths do not exist (404).
 */
export function useAdminRoutes(options: AdminRoutesOptions): Plugin {
  const { auth, board, control, presence, bus, logger } = options;
  const liveIds = () => board.nodes().map((node) => node.id);

  const answer = async (method: string, path: string): Promise<{ status: number; body: unknown } | undefined> => {
    if (path === '/admin/api/nodes' && method === 'GET') {
      const nodes = board.nodes();
      return { status: 200, body: { at: new Date().toISOString(), heartbeatMs: board.heartbeatMs, nodes, totals: totals(nodes) } };
    }
    if (path === '/admin/api/series' && method === 'GET') {
      return { status: 200, body: { heartbeatMs: board.heartbeatMs, nodes: Object.fromEntries(board.series()) } };
    }
    const user = USER_PATH.exec(path);
    if (user === null) return undefined;
    const action: ControlAction = user[2] === undefined ? 'count' : 'disconnect';
    if (method !== (action === 'count' ? 'GET' : 'POST')) return { status: 405, body: problem('BAD_REQUEST', `Cannot ${method} ${path}: use ${action === 'count' ? 'GET' : 'POST'}`) };
    let userId: string;
    try {
      userId = decodeURIComponent(user[1] as string);
    } catch {
      return { status: 400, body: problem('BAD_USER_INPUT', `Invalid user id: it is not valid percent-encoding: current value '${user[1]}'`) };
    }
    const invalid = userIdProblem(userId);
    if (invalid !== undefined) return { status: 400, body: problem('BAD_USER_INPUT', `Invalid user id: ${invalid}`) };
    const outcome = await control.ask(action, userId, liveIds());
    if (action === 'disconnect') {
      return {
        status: 200,
        body: { userId, closed: outcome.total, nodes: outcome.nodes.map(({ nodeId, count }) => ({ nodeId, closed: count })), unanswered: outcome.unanswered },
      };
    }
    const [online, historyLength] = await Promise.all([presence.isOnline([userId]).then(([state]) => state === true, () => outcome.total > 0), bus.historyLength(userId)]);
    return {
      status: 200,
      body: {
        userId,
        online,
        historyLength,
        sessions: outcome.nodes.filter(({ count }) => count > 0).map(({ nodeId, count }) => ({ nodeId, sessions: count })),
        unanswered: outcome.unanswered,
      },
    };
  };

  return {
    async onRequest({ request, url, endResponse, fetchAPI, serverContext }) {
      if (!url.pathname.startsWith('/admin/api/')) return;
      const respond = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        endResponse(new fetchAPI.Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } }));
      const who = clientAddressOf(serverContext);
      const verdict = await auth.check(request.headers.get('authorization'), who);
      if (!verdict.ok) {
        if (verdict.retryAfterMs !== undefined) {
          logger.warn({ who, path: url.pathname }, 'admin: refused, too many failed attempts from this address');
          const retryAfterMs = Math.max(0, Math.ceil(verdict.retryAfterMs));
          return respond(429, problem('RATE_LIMITED', 'Too many failed attempts from this address: try again later', retryAfterMs), {
            'retry-after': String(Math.ceil(retryAfterMs / 1000)),
          });
        }
        logger.warn({ who, path: url.pathname }, 'admin: refused, wrong or missing token');
        return respond(401, problem('UNAUTHENTICATED', 'Not authenticated: send Authorization: Bearer <ADMIN_TOKEN>'), { 'www-authenticate': 'Bearer' });
      }
      try {
        const result = await answer(request.method, url.pathname);
        if (result === undefined) return respond(404, problem('NOT_FOUND', `No admin route ${url.pathname}`));
        if (request.method === 'POST' || url.pathname.startsWith('/admin/api/users/')) {
          logger.info({ who, method: request.method, path: url.pathname, status: result.status, ...summary(result.body) }, 'admin action');
        }
        return respond(result.status, result.body);
      } catch (error) {
        logger.warn({ who, path: url.pathname, err: errorMessage(error) }, 'admin: request failed');
        return respond(503, problem('UNAVAILABLE', `Cannot answer ${url.pathname}: ${errorMessage(error)}`));
      }
    },
  };
}

function problem(code: string, message: string, retryAfterMs?: number): ErrorBody {
  return { error: retryAfterMs === undefined ? { code, message } : { code, message, retryAfterMs } };
}

/** The counts of an action's answer, for its log line (never more than counts). */
function summary(body: unknown): Record<string, unknown> {
  const fields = body as { closed?: unknown; unanswered?: unknown };
  return fields.closed === undefined ? {} : { closed: fields.closed, unanswered: fields.unanswered };
}
