/**
 * The logging surface the core uses. pino's logger satisfies it; tests pass a recording one.
 * Never log message bodies or tokens.
 */
export interface Logger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything; the default for in-process use and unit tests. */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child() {
    return silentLogger;
  },
};
