import { createServer } from 'node:http';
import { createApp } from './app.ts';
import { loadConfig } from './config/load.ts';
import { createContainer } from './container.ts';
import { PRIVATE_UMASK, refuseOpenFiles } from './platform/fs/private-files.ts';
import { createGracefulShutdown } from './platform/http/graceful-shutdown.ts';
import { createLogger } from './platform/logger.ts';

// load config → build container → listen → on SIGTERM drain (readiness fails first), stop accepting,
// let in-flight requests finish, close storage.
async function main(): Promise<void> {
  process.umask(PRIVATE_UMASK); // SEC-10: what the process creates is its own user's only
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(78); // EX_CONFIG
  }
  const logger = createLogger(config.log.level);
  const refusals = refuseOpenFiles(config.storage, logger);
  if (refusals.length > 0) {
    for (const line of refusals) console.error(line);
    process.exit(78); // EX_CONFIG: the operator's to fix, as the message says
  }
  const container = await createContainer(config, { logger, serving: true });
  const server = createServer();
  // SIGTERM: /readyz 503 at once, serve on for the drain delay, then close and let in-flight requests finish.
  const shutdown = createGracefulShutdown({
    server,
    logger,
    drainDelaySeconds: config.server.drainDelaySeconds,
    shutdownTimeoutSeconds: config.server.shutdownTimeoutSeconds,
    closeStorage: () => container.close(),
    exit: (code) => process.exit(code),
  });
  server.on('request', createApp(container, { isDraining: shutdown.isDraining }));
  server.listen(config.server.port, config.server.host, () => {
    logger.info(
      { port: config.server.port, publicUrl: config.server.publicUrl, database: container.database.kind },
      'canopy listening',
    );
  });
  server.on('error', (err) => {
    logger.fatal({ err: err.message }, 'server failed');
    void container.close().finally(() => process.exit(1));
  });
  process.on('SIGTERM', () => shutdown.stop('SIGTERM'));
  process.on('SIGINT', () => shutdown.stop('SIGINT'));
}

main().catch((err: Error) => {
  console.error(`canopy failed to start: ${err.message}`);
  process.exit(1);
});
