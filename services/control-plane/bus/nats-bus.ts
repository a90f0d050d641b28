import { setTimeout as delay } from "node:timers/promises";
import type { ConnectError } from "@connectrpc/connect";
import { AuthorizationError, connect, type NatsConnection } from "@nats-io/transport-node";
import { errorMessage, unauthenticated, unavailable } from "../../../shared/errors.js";
import { silentLogger, type Logger } from "../../../shared/log.js";
import type { Bus } from "./bus.js";
import { bufferedSubscription, type MessageSink, type MessageSource } from "./buffered-subscription.js";
import { natsConnectTarget, type NatsConnectTarget } from "./nats-credentials.js";
import { followConnectionStatus } from "./nats-status.js";
import { parsePattern, publishSubjectProblem } from "./subject-syntax.js";

/*
 * Why core NATS and no JetStream: the database is the durable, ordered log. Every
 * event has its session seq; live streams replay from the store cursor and then
 * read the store again whenever a bus notice says the log grew; claimers poll
 * slowly besides waking on `*.enqueued`. So a bus message is only ever a nudge or
 * a latency shortcut, and losing one costs latency, never work. JetStream would add
 * a second durable copy of the same log (streams, retention, storage on the NATS
 * side) whose redeliveries we would then have to de-duplicate by the seq we already
 * have, and a queue in JetStream would compete with the store's leases as a second
 * source of truth. At-most-once core NATS is the right contract here.
 */

export interface NatsBusOptions {
  /** nats://host:port; credentials may be in it (nats://user:password@host:port, nats://token@host:port). */
  url: string;
  /** Or a .creds file (user JWT and nkey seed)… */
  credsFile?: string;
  /** …or a token: at most one way to authenticate. */
  token?: string;
  /** The client name the server shows in its monitoring (e.g. the service name). */
  name: string;
  logger?: Logger;
  /** How long close() lets subscriptions drain before closing hard (NATS may be down). */
  drainTimeoutMs?: number;
}

/** Ping often enough that a silently dead server is noticed within a minute. */
const PING_INTERVAL_MS = 20_000;
const DEFAULT_DRAIN_TIMEOUT_MS = 5_000;

export async function connectNatsBus(options: NatsBusOptions): Promise<Bus> {
  const target = await natsConnectTarget(options);
  const logger = (options.logger ?? silentLogger).child({ component: "bus", natsUrl: target.redactedUrl });
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: target.server,
      ...target.auth,
      name: options.name,
      // The bus outlives any NATS restart: reconnect forever; subscriptions are resent.
      maxReconnectAttempts: -1,
      pingInterval: PING_INTERVAL_MS,
    });
  } catch (error) {
    throw connectFailure(target, error);
  }
  logger.info({ server: nc.getServer(), auth: target.method }, "bus: connected to NATS");

  const reconnects = new ReconnectPulse();
  const statusFollowed = followConnectionStatus(nc, logger, () => reconnects.fire()).catch((error: unknown) =>
    logger.error({ err: errorMessage(error) }, "bus: stopped following NATS connection status"),
  );

  function startSubscription(subject: string, sink: MessageSink): MessageSource {
    if (nc.isClosed() || nc.isDraining()) {
      logger.warn({ subject }, "bus: subscribe after close; the subscription ends at once");
      sink.end();
      return { ready: Promise.resolve(), stop: () => {} };
    }
    // A callback, not the subscription's own iterator: that iterator buffers without
    // bound, while ours drops the oldest past maxBuffered.
    const sub = nc.subscribe(subject, {
      callback: (error, msg) => {
        // Errors also close the subscription; they are logged once, below.
        if (error) return;
        // A copy, because msg.data is a view that would pin the whole socket chunk.
        sink.deliver({ subject: msg.subject, data: msg.data.slice() });
      },
    });
    void sub.closed.then((reason) => {
      if (reason instanceof Error) {
        logger.warn({ subject, err: errorMessage(reason) }, "bus: NATS ended the subscription; check the client's subscribe permissions");
      }
      sink.end();
    });
    return {
      ready: confirmedByServer(nc, sink.ended, reconnects),
      stop: () => {
        if (!sub.isClosed()) sub.unsubscribe();
      },
    };
  }

  return {
    kind: "nats",

    publish(subject, data) {
      const problem = publishSubjectProblem(subject);
      if (problem) return void logger.warn({ subject, problem }, "bus: message dropped, subject is not publishable");
      try {
        // A copy: the client queues the caller's array and writes it later, so a
        // change made right after publish() would otherwise go out on the wire.
        nc.publish(subject, data.slice());
      } catch (error) {
        logger.warn({ subject, err: errorMessage(error) }, "bus: publish failed and the message was dropped (claimers poll, streams re-read the store)");
      }
    },

    subscribe(subject, subscribeOptions = {}) {
      parsePattern(subject);
      return bufferedSubscription(subscribeOptions, (sink) => startSubscription(subject, sink));
    },

    async close() {
      if (!nc.isClosed()) {
        if (!nc.isDraining()) await drainWithin(nc, options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS, logger);
        await nc.closed();
      }
      await statusFollowed;
    },
  };
}

/**
 * Settles once the server has the subscription: a PING sent after SUB is answered
 * only after the server processed the SUB. While disconnected the PING is lost, so
 * try again after the next reconnect (which resends every subscription first).
 */
async function confirmedByServer(nc: NatsConnection, ended: Promise<void>, reconnects: ReconnectPulse): Promise<void> {
  const endedNow = ended.then(() => "ended" as const);
  for (;;) {
    const nextReconnect = reconnects.next();
    const flushed = nc.flush().then(
      () => "flushed" as const,
      () => "lost" as const,
    );
    if ((await Promise.race([flushed, endedNow])) !== "lost" || nc.isClosed()) return;
    if ((await Promise.race([nextReconnect.then(() => "reconnected" as const), endedNow])) === "ended") return;
  }
}

async function drainWithin(nc: NatsConnection, timeoutMs: number, logger: Logger): Promise<void> {
  const timer = new AbortController();
  const drained = nc.drain().then(
    () => "drained" as const,
    (error: unknown) => (logger.warn({ err: errorMessage(error) }, "bus: NATS drain failed; closing"), "failed" as const),
  );
  const outcome = await Promise.race([drained, delay(timeoutMs, "timeout" as const, { signal: timer.signal })]);
  timer.abort();
  if (outcome === "drained") return;
  if (outcome === "timeout") logger.warn({ timeoutMs }, "bus: NATS drain timed out (server unreachable?); closing without it");
  await nc.close();
}

/** A promise that settles at the next reconnect, renewed each time. */
class ReconnectPulse {
  #resolve!: () => void;
  #next = this.#renew();

  next(): Promise<void> {
    return this.#next;
  }

  fire(): void {
    const resolve = this.#resolve;
    this.#next = this.#renew();
    resolve();
  }

  #renew(): Promise<void> {
    return new Promise<void>((resolve) => (this.#resolve = resolve));
  }
}

/** Why the first connection failed, and which setting to fix: the credentials when the server refused them. */
function connectFailure(target: NatsConnectTarget, error: unknown): ConnectError {
  const at = target.redactedUrl;
  if (!(error instanceof AuthorizationError)) {
    return unavailable(`could not reach NATS at ${at}: ${errorMessage(error)}; start nats-server there, or leave PUSHPALS_NATS_URL empty for the in-process bus`);
  }
  if (target.setting === undefined) {
    return unauthenticated(
      `NATS at ${at} requires credentials and none are configured (${errorMessage(error)}); ` +
        "put user and password in PUSHPALS_NATS_URL (nats://user:password@host:port), or set PUSHPALS_NATS_TOKEN or PUSHPALS_NATS_CREDS " +
        "([bus] nats_url, nats_token, nats_creds_file)",
    );
  }
  return unauthenticated(
    `NATS at ${at} refused the ${target.method} (${errorMessage(error)}); fix ${target.setting} to what the server expects ` +
      "(or use the other kind of credentials it is configured for: nats_url user:password, nats_token, nats_creds_file)",
  );
}
