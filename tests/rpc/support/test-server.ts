import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { Writable } from "node:stream";
import { pino } from "pino";
import { z } from "zod";
import { EventSchema } from "../../../gen/pushpals/v1/events_pb.js";
import { SessionService } from "../../../gen/pushpals/v1/sessions_pb.js";
import { SystemService } from "../../../gen/pushpals/v1/system_pb.js";
import { newId } from "../../../shared/ids.js";
import type { Logger } from "../../../shared/log.js";
import { startRpcServer, type RpcServer, type RpcServerOptions } from "../../../shared/rpc/server.js";
import { boundedString, id, parseRequest } from "../../../shared/rpc/validate.js";
import { sleep } from "../../../shared/time.js";
import { BusKind, StoreKind } from "../../../gen/pushpals/v1/kinds_pb.js";

export type LogRecord = Record<string, unknown> & { level: number; msg?: string };

/** A pino logger whose JSON lines the test can read back. */
export function captureLogs(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) records.push(JSON.parse(line) as LogRecord);
      done();
    },
  });
  return { logger: pino({ level: "debug" }, sink), records };
}

/** What the test services saw, so tests can check handlers ran their cleanup. */
export interface Probe {
  streamsStarted: number;
  /** Abort reasons seen by stream handlers as their `finally` ran (undefined = ended without abort). */
  streamsFinished: unknown[];
  /** How slow unary calls ended: "completed" or the abort reason they saw. */
  slowCalls: unknown[];
}

const createSessionInput = z.object({ title: boundedString("title", 200) });
const getSessionInput = z.object({ sessionId: id("session") });

/**
 * A tiny implementation of two PushPals services, enough to exercise every
 * kind of call: read-only and mutating unary, a failing handler, a slow unary
 * call and a server stream that stays open until it is told to stop.
 */
export function registerTestServices(router: ConnectRouter, probe: Probe): void {
  router.service(SystemService, {
    getSystemStatus: () => ({ version: "test-1.2.3", store: StoreKind.POSTGRES, bus: BusKind.NATS, repo: "/srv/repo" }),
  });
  router.service(SessionService, {
    createSession(request) {
      const input = parseRequest(createSessionInput, request);
      return { session: { id: newId("session"), title: input.title } };
    },
    getSession(request) {
      const input = parseRequest(getSessionInput, request);
      return { session: { id: input.sessionId, title: "echo" } };
    },
    postMessage(request) {
      if (request.text === "boom") throw new Error("connection to db-7.internal refused (password=hunter2)");
      return { event: { sessionId: request.sessionId, seq: 1n, payload: { case: "message", value: { text: request.text } } } };
    },
    async listEvents(request, context) {
      // Sleeps `limit` ms unless its own signal says stop: a stand-in for a slow query.
      await sleep(request.limit, context.signal);
      probe.slowCalls.push(context.signal.aborted ? context.signal.reason : "completed");
      return { nextAfterSeq: request.afterSeq };
    },
    async *streamEvents(request, context) {
      probe.streamsStarted += 1;
      try {
        for (let seq = 1n; seq <= 3n; seq++) {
          if (request.itemId === "boom" && seq === 2n) throw new TypeError("cannot read properties of undefined (reading 'secretColumn')");
          yield { message: { case: "event", value: create(EventSchema, { sessionId: request.sessionId, seq, payload: { case: "message", value: { text: `event ${seq}` } } }) } };
        }
        await sleep(60_000, context.signal);
      } finally {
        probe.streamsFinished.push(context.signal.aborted ? context.signal.reason : undefined);
      }
    },
  });
}

export interface TestServer {
  server: RpcServer;
  url: string;
  probe: Probe;
  logs: LogRecord[];
}

export async function startTestServer(options: Partial<RpcServerOptions> = {}): Promise<TestServer> {
  const { logger, records } = captureLogs();
  const probe: Probe = { streamsStarted: 0, streamsFinished: [], slowCalls: [] };
  const server = await startRpcServer({
    host: "127.0.0.1",
    port: 0,
    maxRequestBytes: 64 * 1024,
    shutdownGraceMs: 2_000,
    logger,
    register: (router) => registerTestServices(router, probe),
    ...options,
  });
  return { server, url: server.url, probe, logs: records };
}

export const SESSION_ID = newId("session");
