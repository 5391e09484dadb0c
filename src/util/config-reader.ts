/** Thrown when a configuration variable has a value that is not allowed; `variable` names it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** One variable of the configuration, as `--help` lists it. */
export interface ConfigVariable {
  readonly name: string;
  readonly description: string;
}

/**
 * How a concept reads its own variables (`app/config.ts` builds one over the environment, and each
 * concept's `parse…Config` takes it), so every variable fails the same way, with a {@link ConfigError}.
 */
export interface ConfigReader {
  /** The trimmed value, `undefined` when unset or empty. */
  text(name: string): string | undefined;
  /** @throws {ConfigError} when set to anything but an integer in `[min, max]`. */
  integer(name: string, fallback: number, min: number, max: number): number;
  /** @throws {ConfigError} when set to anything but one of `allowed`. */
  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T;
  /** @throws {ConfigError} naming `name`, always. */
  fail(name: string, message: string): never;
}

/** A {@link ConfigReader} over `env`; empty strings count as unset. */
export function createConfigReader(env: Readonly<Record<string, string | undefined>>): ConfigReader {
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const fail = (name: string, message: string): never => {
    throw new ConfigError(name, message);
  };
  return {
    text,
    fail,
    integer(name, fallback, min, max) {
      const raw = text(name);
      if (raw === undefined) return fallback;
      const value = Number(raw);
      if (!/^\d+$/u.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
        return fail(name, `Invalid ${name}: expected an integer from ${min} to ${max}: current value '${raw}'`);
      }
      return value;
    },
    choice(name, allowed, fallback) {
      const raw = text(name);
      if (raw === undefined) return fallback;
      const match = allowed.find((candidate) => candidate === raw);
      return match ?? fail(name, `Invalid ${name}: expected one of ${allowed.join(', ')}: current value '${raw}'`);
    },
  };
}
