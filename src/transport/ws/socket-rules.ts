import { getOperationAST, GraphQLError, type DocumentNode, type ExecutionArgs } from 'graphql';
import { maskError } from 'graphql-yoga';
import { AuthError, bearerToken, type VerifyToken, type Viewer } from '../../auth/verifier.ts';
import type { ErrorCode } from '../../domain/error-codes.ts';
import { asGraphQLError, clientError } from '../../graphql/errors.ts';
import type { Logger } from '../../util/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { LocalSession, LocalSessions, SessionKind } from '../../cluster/local-sessions.ts';
import type { Tracing } from '../../tracing/tracing.ts';
import type { Presence, PresenceSession } from '../../presence/presence.ts';
import { Backlog, type BacklogOwner } from '../../engine/backlog.ts';
import { CloseCode } from '../../domain/close-codes.ts';
import type { SecurityConfig } from '../../limits/config.ts';
import type { ConnectionLimits, ConnectionSlot } from '../../limits/connection-limits.ts';
import type { GraphQLContext } from '../../graphql/context.ts';
import { EventPlans, type MaskError } from './event-plan.ts';
import type { Outcome } from './operation.ts';
import { createProtocol, type GraphqlWsProtocol } from './protocol-server.ts';
import { UNEXPECTED_ERROR_MESSAGE, type SocketContext, type Yoga } from '../../graphql/yoga.ts';
import { subscribePushed, type PushSocket } from './pushed-subscription.ts';

export interface SocketRulesOptions {
  readonly yoga: Yoga;
  readonly verify: VerifyToken;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly security: SecurityConfig;
  readonly limits: ConnectionLimits;
  /** Every acknowledged connection is a presence session until it closes. */
  readonly presence: Presence;
  /** Every acknowledged connection is a session an administrator can close (4604) until it closes. */
  readonly sessions: LocalSessions;
  /** A connection's open and close become span events when tracing is on. */
  readonly tracing: Tracing;
  /** A rule threw: reported once (the protocol server closes the socket with 4500). */
  readonly internalError: (error: unknown) => void;
}

/** The socket the rules hold for a connection's life, on every runtime (ws on Node, WebSocket on Deno). */
export type HeldSocket = PushSocket & {
  close(code: number, reason: string): void;
};

/**
 * Catch-up (history) frames wait while a socket holds more unsent bytes than this: a quarter of the
 * slow-consumer limit, at most 64 KiB, so a long back-fill never trips the rule it is paced by.
 */
const CATCH_UP_HIGH_WATER_BYTES = 64 * 1024;

/** `WebSocket.OPEN`, the same on ws and on web WebSockets. */
const OPEN = 1;
/** Longest delay `setTimeout` takes (about 24.8 days); longer expiries re-arm. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The graphql-ws protocol server with the service's rules for sockets, independent of the socket
 * library: `protocol-server.ts` applies the protocol's own rules, these add the service's, and
 * `runtime/` feeds it sockets. `connection_init` must carry
 * `connectionParams.authorization = "Bearer <jwt>"`; without a valid one the socket closes with 4403.
 * Operations execute through yoga's envelop, so every yoga plugin (masking, query limits) applies here
 * too; parse and validation errors get yoga's codes, as over HTTP. The rules of SECURITY.md for
 * sockets live here: the socket closes with 4403 when its token expires (a timer), with 4602 when the
 * user has too many connections, with 4601 when it is a slow consumer; subscribe past
 * MAX_SUBSCRIPTIONS_PER_CONNECTION gets `LIMIT_EXCEEDED`; no `connection_init` within
 * CONNECTION_INIT_TIMEOUT_MS closes with 4408.
 */
export function createSocketProtocol<R extends HeldSocket>(options: SocketRulesOptions): GraphqlWsProtocol<R> {
  const { yoga, verify, logger, metrics, security, limits, presence, sessions, tracing } = options;
  const plans = new EventPlans();
  // Yoga's own mask, logged as yoga logs what it masks: coded errors pass, anything else is masked.
  const mask: MaskError = (error) => {
    const masked = maskError(error, UNEXPECTED_ERROR_MESSAGE);
    if (masked !== error) logger.error({ args: [String(error)] }, 'yoga error');
    return asGraphQLError(masked);
  };
  const highWaterBytes = Math.min(CATCH_UP_HIGH_WATER_BYTES, Math.floor(security.slowConsumerBytes / 4));
  return createProtocol<R, Connection>({
    initTimeoutMs: security.connectionInitTimeoutMs,
    internalError: options.internalError,
    async connect(socket, params) {
      let viewer: Viewer;
      try {
        const token = bearerToken(params?.['authorization']);
        if (token === undefined) throw new AuthError('Invalid authorization: connectionParams.authorization is missing', { reason: 'missing' });
        viewer = await verify(token);
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        metrics.connections.authFailed(error.reason);
        logger.info({ reason: error.message }, 'websocket connection refused');
        return undefined;
      }
      const admission = await limits.admitUser(viewer.userId, 'socket');
      if ('refused' in admission) {
        metrics.connections.refused('user_connections');
        logger.info({ userId: viewer.userId, limit: limits.maxConnectionsPerUser }, 'websocket refused: too many connections of the user');
        // Our own code: a refusal closes with 4403, which clients treat as "re-authenticate".
        socket.close(CloseCode.TooManyUserConnections, 'Too many connections');
        return undefined;
      }
      const connection = new Connection({ viewer, socket, admission, logger, security });
      // The socket may have closed while the token was verified.
      if (socket.readyState !== OPEN) {
        connection.release();
        return undefined;
      }
      const session = connection.open(presence, sessions);
      metrics.connectionsOpen.inc();
      logger.debug({ connId: connection.id, userId: viewer.userId }, 'websocket connected');
      if (tracing.enabled) tracing.event('connection.open', { 'switchboard.connection.id': connection.id });
      // Acknowledged once the session counts cluster-wide, so the client reads its own presence.
      return { connection, ready: session.recorded };
    },
    disconnected(connection, code, reason) {
      metrics.connectionsOpen.dec();
      logger.debug({ connId: connection.id, code, reason }, 'websocket closed');
      if (tracing.enabled) tracing.event('connection.close', { 'switchboard.connection.id': connection.id, 'switchboard.close.code': code });
    },
    closed(connection) {
      connection?.release();
    },
    async subscribe(connection, id, payload, inFlight) {
      if (inFlight > security.maxSubscriptionsPerConnection) {
        return [
          clientError(
            'LIMIT_EXCEEDED',
            `Cannot subscribe: the connection already has ${security.maxSubscriptionsPerConnection} operations in flight (MAX_SUBSCRIPTIONS_PER_CONNECTION)`,
            { limit: 'maxSubscriptionsPerConnection' },
          ),
        ];
      }
      const initial: SocketContext = { socketViewer: connection.viewer, socketBacklog: connection.backlog };
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        ...initial,
        params: payload,
      });
      let document: DocumentNode;
      try {
        document = parse(payload.query);
      } catch (error) {
        if (error instanceof GraphQLError) return [withCode(error, 'GRAPHQL_PARSE_FAILED')];
        throw error;
      }
      const errors = validate(schema, document);
      if (errors.length > 0) return errors.map((error: GraphQLError) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
      const operationName = payload.operationName ?? undefined;
      // As yoga answers over HTTP.
      const operation = getOperationAST(document, operationName);
      if (operation == null) return [clientError('OPERATION_RESOLUTION_FAILURE', 'Could not determine what operation to execute.')];
      const contextValue = (await contextFactory()) as GraphQLContext;
      const plan = plans.get(schema, document, operationName);
      if (plan !== undefined) {
        return subscribePushed({
          schema,
          plan,
          id,
          context: contextValue,
          variables: payload.variables,
          socket: connection.socket,
          backlog: connection.backlog,
          highWaterBytes,
          mask,
        });
      }
      const args: ExecutionArgs = { schema, document, operationName: operationName ?? null, variableValues: payload.variables ?? null, contextValue };
      return (await (operation.operation === 'subscription' ? subscribe(args) : execute(args))) as Outcome;
    },
    // Before every frame of a result: a socket whose unsent bytes grew past the limit is cut off.
    beforeNext(connection) {
      connection.backlog.check();
    },
  });
}

/** `error` with `extensions.code`, unless it has one (yoga's HTTP path codes these errors the same way). */
function withCode(error: GraphQLError, code: ErrorCode): GraphQLError {
  if (typeof error.extensions['code'] === 'string') return error;
  return new GraphQLError(error.message, {
    ...(error.nodes === undefined ? {} : { nodes: error.nodes }),
    ...(error.source === undefined ? {} : { source: error.source }),
    ...(error.positions === undefined ? {} : { positions: error.positions }),
    extensions: { ...error.extensions, code },
  });
}

/**
 * What a socket carries once `connection_init` was accepted: its identity, its slow-consumer rule,
 * the timer that closes it when its token expires, its connection slot and its presence session.
 * One object per socket, with methods rather than closures: it is kept for the socket's whole life,
 * and it is itself what the backlog reports to and what the node's session list holds.
 */
class Connection implements BacklogOwner, LocalSession {
  readonly id = crypto.randomUUID().slice(0, 8);
  readonly viewer: Viewer;
  readonly backlog: Backlog;
  readonly socket: HeldSocket;
  readonly #admission: ConnectionSlot;
  readonly #logger: Logger;
  /** When the token expires, plus the skew the verifier allows (so a reconnect with it is refused rather than looping). */
  readonly #deadline: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #session: PresenceSession | undefined;
  #sessions: LocalSessions | undefined;
  #released = false;

  /** Arms the expiry timer; closes the socket right away when the token has expired already. */
  constructor(options: { viewer: Viewer; socket: HeldSocket; admission: ConnectionSlot; logger: Logger; security: SecurityConfig }) {
    const { viewer, socket, security } = options;
    this.viewer = viewer;
    this.socket = socket;
    this.#admission = options.admission;
    this.#logger = options.logger;
    this.backlog = new Backlog({ limitBytes: security.slowConsumerBytes, owner: this });
    this.#deadline = viewer.expiresAt === undefined ? undefined : viewer.expiresAt + security.clockSkewSeconds * 1000;
    this.#arm();
  }

  get kind(): SessionKind {
    return 'socket';
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /** Opens the socket's presence session and its place among the node's sessions, which {@link release} ends. */
  open(presence: Presence, sessions: LocalSessions): PresenceSession {
    this.#session = presence.openSession(this.viewer.userId);
    this.#sessions = sessions;
    sessions.add(this.viewer.userId, this);
    return this.#session;
  }

  /** Releases the user's connection slot, stops the expiry timer, ends the presence session; idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#timer);
    this.#admission.release();
    this.#session?.close();
    this.#sessions?.remove(this.viewer.userId, this);
  }

  /** An administrator's disconnect (the node's session list). */
  disconnect(): void {
    this.#logger.info({ connId: this.id, userId: this.viewer.userId }, 'websocket closed: disconnected by an administrator');
    this.socket.close(CloseCode.DisconnectedByAdmin, 'Disconnected by an administrator');
  }

  /** The backlog is over SLOW_CONSUMER_BYTES. */
  slowConsumer(unsentBytes: number): void {
    this.#logger.warn({ connId: this.id, userId: this.viewer.userId, unsentBytes }, 'websocket closed: slow consumer');
    this.socket.close(CloseCode.SlowConsumer, 'Slow consumer');
    // Stop feeding it: the streams end now, not when the close handshake finishes.
    for (const stream of [...this.backlog.streams]) stream.end();
  }

  #arm(): void {
    if (this.#deadline === undefined) return;
    const delay = this.#deadline - Date.now();
    if (delay <= 0) return this.#expire();
    // Longer delays than setTimeout takes re-arm when the longest one runs out. One function for
    // every socket's timer, handed the connection, rather than a closure per socket.
    this.#timer = setTimeout(Connection.#timerFired, Math.min(delay, MAX_TIMER_MS), this, delay > MAX_TIMER_MS);
  }

  static #timerFired(this: void, connection: Connection, partial: boolean): void {
    if (partial) connection.#arm();
    else connection.#expire();
  }

  #expire(): void {
    this.#logger.info({ connId: this.id, userId: this.viewer.userId }, 'websocket closed: token expired');
    this.socket.close(CloseCode.Forbidden, 'Token expired');
  }
}
