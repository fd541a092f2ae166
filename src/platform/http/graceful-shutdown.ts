import type { Server, ServerResponse } from 'node:http';
import type { Logger } from '../logger.ts';

export interface GracefulShutdownOptions {
  server: Server;
  logger: Logger;
  /** After SIGTERM, how long /readyz answers 503 while the listener still accepts and serves. */
  drainDelaySeconds: number;
  /** Once the listener is closed, how long in-flight requests may take before connections are cut. */
  shutdownTimeoutSeconds: number;
  /** Closes storage; called once no connection is left. */
  closeStorage: () => Promise<void>;
  exit: (code: number) => void;
}

/**
 * Stopping without dropping a request. On SIGTERM, readiness fails at once (`isDraining`) while the
 * listener keeps accepting and serving for the drain delay, so the load balancer sees the node go
 * and stops sending to it before anything is refused. Then the listener closes; requests in flight
 * finish (within the shutdown timeout, after which their connections are cut), keep-alive
 * connections close as soon as they are idle, storage closes, and the process exits 0.
 * SIGINT (Ctrl-C) and a second signal skip the rest of the drain delay.
 */
export function createGracefulShutdown(options: GracefulShutdownOptions) {
  const { server, logger } = options;
  let draining = false;
  let closing = false;
  let drainTimer: NodeJS.Timeout | undefined;
  const inFlight = new Set<ServerResponse>();

  // Before the app's own listener, so the header is set before any answer is written.
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (closing) res.setHeader('connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });

  function closeListener(): void {
    if (closing) return;
    closing = true;
    clearTimeout(drainTimer);
    logger.info({ inFlight: inFlight.size }, 'closing the listener; requests in flight may finish');
    const force = setTimeout(() => {
      logger.warn('in-flight requests did not finish in time; closing connections');
      server.closeAllConnections();
    }, options.shutdownTimeoutSeconds * 1000);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      options.closeStorage().then(
        () => {
          logger.info('stopped');
          options.exit(0);
        },
        (err: Error) => {
          logger.error({ err: err.message }, 'error while closing storage');
          options.exit(1);
        },
      );
    });
    // Node keeps a keep-alive connection open after its last answer even while closing: each answer
    // still to come ends its connection, and one already under way frees it when done.
    for (const res of inFlight) {
      if (!res.headersSent) res.setHeader('connection', 'close');
      else res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
    }
    server.closeIdleConnections();
  }

  return {
    /** True from the first signal on: /readyz answers 503. */
    isDraining: (): boolean => draining,
    stop(signal: NodeJS.Signals): void {
      if (closing) return;
      const delay = signal === 'SIGTERM' && !draining ? options.drainDelaySeconds : 0;
      if (!draining) logger.info({ signal, drainDelaySeconds: delay }, 'shutting down');
      draining = true;
      if (delay > 0) drainTimer = setTimeout(closeListener, delay * 1000);
      else closeListener();
    },
  };
}
