import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage } from "../../../shared/errors.js";
import type { Logger } from "../../../shared/log.js";

/** After this many failed attempts in a row, say again (at warn) that NATS is still away. */
const STILL_AWAY_EVERY = 30;

/**
 * Logs every connection status change until the connection closes, and calls
 * `onReconnect` each time the client is back (its subscriptions resent).
 */
export async function followConnectionStatus(nc: NatsConnection, logger: Logger, onReconnect: () => void): Promise<void> {
  let attempts = 0;
  for await (const status of nc.status()) {
    switch (status.type) {
      case "disconnect":
        attempts = 0;
        logger.warn(
          { server: status.server },
          "bus: lost the NATS connection; reconnecting until it is back (publishes meanwhile are dropped; claimers keep polling, streams re-read the store)",
        );
        break;
      case "reconnecting":
        attempts++;
        if (attempts % STILL_AWAY_EVERY === 0) {
          logger.warn({ attempts }, "bus: NATS still unreachable; check that nats-server is running at the configured URL");
        } else {
          logger.debug({ attempts }, "bus: reconnecting to NATS");
        }
        break;
      case "reconnect":
        logger.info({ server: status.server, attempts }, "bus: reconnected to NATS; subscriptions restored");
        attempts = 0;
        onReconnect();
        break;
      case "error":
        logger.error({ err: errorMessage(status.error) }, "bus: NATS reported an error; check the server log and the client's permissions");
        break;
      case "ldm":
        logger.warn({ server: status.server }, "bus: NATS server is entering lame duck mode; the client will move to another server");
        break;
      case "staleConnection":
        logger.warn("bus: NATS connection went stale (no PONG); reconnecting");
        break;
      case "forceReconnect":
        logger.info("bus: reconnect to NATS requested");
        break;
      case "slowConsumer":
        logger.warn({ subject: status.sub.getSubject(), pending: status.pending }, "bus: slow NATS consumer");
        break;
      case "update":
        logger.debug({ added: status.added, deleted: status.deleted }, "bus: NATS cluster changed");
        break;
      case "ping":
        logger.trace({ pendingPings: status.pendingPings }, "bus: ping");
        break;
      case "close":
        logger.info("bus: NATS connection closed");
        break;
    }
  }
}
