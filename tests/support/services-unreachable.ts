import { Socket } from "node:net";

/**
 * Setup file of the unit run (vitest.unit.config.ts): Postgres and NATS are unreachable from its
 * tests, whatever runs on this machine. A connection to either port fails at once with
 * ECONNREFUSED and a message naming the file, so a test that needs them cannot pass in the unit
 * set by accident: it belongs in the full suite (`npm test`) instead.
 */
const BLOCKED_PORTS = new Map([
  [5432, "PostgreSQL"],
  [4222, "NATS"],
]);

// Children (if a test spawns one) get addresses that answer nothing.
process.env.PUSHPALS_TEST_PG_ADMIN_URL = "postgres://postgres@127.0.0.1:1/test";
process.env.PUSHPALS_TEST_NATS_URL = "nats://127.0.0.1:1";

const connect = Socket.prototype.connect as (this: Socket, ...args: unknown[]) => Socket;

Socket.prototype.connect = function connectUnlessBlocked(this: Socket, ...args: unknown[]): Socket {
  const port = portOf(args[0]);
  const service = port === undefined ? undefined : BLOCKED_PORTS.get(port);
  if (service === undefined) return connect.apply(this, args);
  const error = Object.assign(
    new Error(
      `connect ECONNREFUSED: ${service} (port ${port}) is unreachable in the unit run (tests/support/services-unreachable.ts); a test that needs it belongs in the full suite, not in vitest.unit.config.ts`,
    ),
    { code: "ECONNREFUSED", port },
  );
  process.nextTick(() => this.destroy(error));
  return this;
} as typeof Socket.prototype.connect;

function portOf(first: unknown): number | undefined {
  if (Array.isArray(first)) return portOf(first[0]);
  if (typeof first === "number") return first;
  if (typeof first === "string" && /^\d+$/.test(first)) return Number(first);
  if (first !== null && typeof first === "object" && "port" in first) return portOf((first as { port: unknown }).port);
  return undefined;
}
