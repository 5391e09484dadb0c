import { adviceFor, classifyRedisError, describeError, RedisStartError, type RedisFaultClass } from '../redis/faults.ts';

/**
 * Exit codes of a node that cannot run, from sysexits.h, one per kind of fault, so an orchestrator
 * (or a person) can tell them apart without reading the log. Each exit comes with one log line that
 * names what failed and what to do. docs/OPERATIONS.md has the table.
 */
export const EXIT = {
  /** An unexpected failure at start (EX_SOFTWARE): a bug; the log line says what. */
  software: 70,
  /** Redis did not answer within STARTUP_TIMEOUT_MS (EX_UNAVAILABLE: a service the node needs is not there). */
  unavailable: 69,
  /** The port is in use (EX_TEMPFAIL: often an old process that has not let go yet; retrying may work). */
  portInUse: 75,
  /** The TLS handshake with Redis failed (EX_PROTOCOL): `rediss://` to a plain port, or an untrusted certificate. */
  protocol: 76,
  /** Permission denied (EX_NOPERM): the port needs privileges, Redis refused the credentials, or the ACL user lacks a command. */
  permission: 77,
  /** The configuration is wrong (EX_CONFIG): a bad variable value, or REDIS_URL names a replica. */
  config: 78,
} as const;

/** What to log, and the code to exit with, for a fault that ends the process. */
export interface Fatal {
  readonly message: string;
  readonly fields: Record<string, unknown>;
  readonly exitCode: number;
}

/** Names the OS error of a failed listen on `port` (Node's `code`, or Deno's error name). */
export function listenFailure(error: unknown, port: number): Fatal {
  const code = errorCode(error);
  const fields = { fault: 'listen', port, code };
  if (code === 'EADDRINUSE') {
    return {
      message: `Cannot listen on port ${port}: the address is already in use (EADDRINUSE): stop the process that holds it, or set PORT to a free port`,
      fields: { ...fields, exitCode: EXIT.portInUse },
      exitCode: EXIT.portInUse,
    };
  }
  if (code === 'EACCES') {
    return {
      message: `Cannot listen on port ${port}: permission denied (EACCES): ports below 1024 need privileges: set PORT to 1024 or above, or grant CAP_NET_BIND_SERVICE`,
      fields: { ...fields, exitCode: EXIT.permission },
      exitCode: EXIT.permission,
    };
  }
  return {
    message: `Cannot listen on port ${port}: ${describeError(error)}: check PORT and the host's network configuration`,
    fields: { ...fields, exitCode: EXIT.software },
    exitCode: EXIT.software,
  };
}

/** The exit code for a Redis fault that stops the start. */
function exitCodeFor(fault: RedisFaultClass): number {
  switch (fault) {
    case 'auth':
    case 'noperm':
      return EXIT.permission;
    case 'tls':
      return EXIT.protocol;
    case 'readonly':
    case 'notcluster':
    case 'clusternode':
      return EXIT.config;
    default:
      return EXIT.software;
  }
}

/**
 * Describes why `app.start()` failed. A {@link RedisStartError} (or a Redis error of a known class)
 * names the variable that configures Redis (`variable`) and what to do; anything else is a bug.
 */
export function startFailure(error: unknown, variable: string | undefined): Fatal {
  const fault = error instanceof RedisStartError ? error.fault : classifyRedisError(error);
  if (variable === undefined || fault === 'other') {
    return { message: `Cannot start: ${describeError(error)}`, fields: { fault: 'start', exitCode: EXIT.software }, exitCode: EXIT.software };
  }
  const exitCode = exitCodeFor(fault);
  return {
    message: `Cannot start: Redis (${variable}) refused this node: ${describeError(error)}: ${adviceFor(fault, variable)}`,
    fields: { fault, redis: variable, exitCode },
    exitCode,
  };
}

/** The line for a node that did not reach Redis within STARTUP_TIMEOUT_MS; `first` is the first failure seen. */
export function startupTimeout(timeoutMs: number, variable: string, first: unknown): Fatal {
  const fault = first === undefined ? 'timeout' : classifyRedisError(first);
  const why = first === undefined ? 'no answer' : describeError(first);
  return {
    message: `Cannot start: Redis (${variable}) was not reachable within STARTUP_TIMEOUT_MS (${timeoutMs} ms): ${why}: ${adviceFor(fault === 'other' ? 'unreachable' : fault, variable)}`,
    fields: { fault, redis: variable, timeoutMs, exitCode: EXIT.unavailable },
    exitCode: EXIT.unavailable,
  };
}

/** The line for an error nothing handled while the node runs: a bug. The stack goes into a field. */
export function unexpected(error: unknown): Fatal {
  return {
    message: `Stopping: an unexpected error: ${describeError(error)}: this is a bug, please report it with this line`,
    fields: { fault: 'unexpected', stack: error instanceof Error ? error.stack : undefined, exitCode: EXIT.software },
    exitCode: EXIT.software,
  };
}

/** Node's `code` (`EADDRINUSE`), or the same from Deno's error class names (`AddrInUse`, `PermissionDenied`). */
function errorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (error.name === 'AddrInUse' || /address already in use/iu.test(error.message)) return 'EADDRINUSE';
  if (error.name === 'PermissionDenied' || /permission denied/iu.test(error.message)) return 'EACCES';
  return undefined;
}
