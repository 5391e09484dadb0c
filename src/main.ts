import { pino } from 'pino';
import { createApp } from './app.ts';
import { CONFIG_VARIABLES, ConfigError, parseConfig, type Config } from './config.ts';
import { serveNode } from './runtime/node.ts';

// The only module with side effects: read the environment, start, and stop on a signal.

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  const width = Math.max(...CONFIG_VARIABLES.map((v) => v.name.length));
  process.stdout.write(
    'switchboard: clustered GraphQL subscriptions service\n\nEnvironment variables:\n' +
      CONFIG_VARIABLES.map((v) => `  ${v.name.padEnd(width)}  ${v.description}`).join('\n') +
      '\n',
  );
  process.exit(0);
}

let config: Config;
try {
  config = parseConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`switchboard: ${error.message}\n`);
  process.exit(78); // EX_CONFIG
}

const logger = pino({ level: config.logLevel, base: { service: 'switchboard' } });
const app = createApp(config, { logger });
await app.start();
const host = await serveNode(app, { port: config.port });
logger.info({ nodeId: config.nodeId, port: host.port, path: app.path }, 'listening');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await host.close();
  await app.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
