import type { Server } from 'node:http';
import { createApp } from './app.ts';
import { loadConfig } from './config/load.ts';
import { createContainer } from './container.ts';
import { PRIVATE_UMASK, refuseOpenFiles } from './platform/fs/private-files.ts';
import { createLogger } from './platform/logger.ts';

// load config → build container → listen → on SIGTERM/SIGINT stop accepting, drain, close storage.
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
  const app = createApp(container);
  const server: Server = app.listen(config.server.port, config.server.host, () => {
    logger.info(
      { port: config.server.port, publicUrl: config.server.publicUrl, database: container.database.kind },
      'canopy listening',
    );
  });
  server.on('error', (err) => {
    logger.fatal({ err: err.message }, 'server failed');
    void container.close().finally(() => process.exit(1));
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.warn('in-flight requests did not finish in time; closing connections');
      server.closeAllConnections();
    }, config.server.shutdownTimeoutSeconds * 1000);
    force.unref();
    server.close(() => {
      container
        .close()
        .then(() => {
          logger.info('stopped');
          process.exit(0);
        })
        .catch((err: Error) => {
          logger.error({ err: err.message }, 'error while closing storage');
          process.exit(1);
        });
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  console.error(`canopy failed to start: ${err.message}`);
  process.exit(1);
});
