import type { ConfigReader, ConfigVariable } from '../util/config-reader.ts';

/**
 * Presence settings. Parsed by `config.ts` through its reader, so the variables are listed in its one
 * `CONFIG_VARIABLES` and fail with its `ConfigError`. docs/PRESENCE.md explains each.
 */
export interface PresenceConfig {
  /** `PRESENCE=off`: no tracking; presence reads answer UNAVAILABLE. */
  readonly enabled: boolean;
  /** A node that stops heartbeating (every ttl/3) is reaped this long after its last heartbeat. */
  readonly ttlSeconds: number;
  /** A user whose last session closed stays online this long; a reconnect within it emits nothing. */
  readonly graceSeconds: number;
}

/** The variables {@link parsePresenceConfig} reads, for `CONFIG_VARIABLES`. */
export const PRESENCE_VARIABLES: readonly ConfigVariable[] = [
  { name: 'PRESENCE', description: "'on' (default): track who is online; 'off': sessions cost nothing, presence reads answer UNAVAILABLE." },
  {
    name: 'PRESENCE_TTL_SECONDS',
    description: "A node that stops heartbeating (every ttl/3) has its users go offline this long after its last heartbeat. Default 15.",
  },
  {
    name: 'PRESENCE_GRACE_SECONDS',
    description: 'A user whose last session closed stays online this long, so a quick reconnect emits no offline/online pair. Default 3.',
  },
];

/** Reads the variables of {@link PRESENCE_VARIABLES}. @throws ConfigError (through `reader.fail`). */
export function parsePresenceConfig(reader: ConfigReader): PresenceConfig {
  const switched = reader.choice('PRESENCE', ['on', 'off'], 'on');
  return {
    enabled: switched === 'on',
    ttlSeconds: reader.integer('PRESENCE_TTL_SECONDS', 15, 1, 3600),
    graceSeconds: reader.integer('PRESENCE_GRACE_SECONDS', 3, 0, 3600),
  };
}
