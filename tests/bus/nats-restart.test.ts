import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Bus, Subscription } from "../../services/control-plane/bus/bus.js";
import { connectNatsBus } from "../../services/control-plane/bus/nats-bus.js";
import { bytes, endsWithin, take, text } from "./support/buses.js";
import { capturedLogs } from "./support/captured-logs.js";
import { ownNatsServer, type OwnNatsServer } from "./support/own-nats-server.js";

let server: OwnNatsServer;
beforeAll(async () => {
  server = await ownNatsServer();
});
afterAll(async () => {
  await server?.dispose();
});

/** Publishes `label-N` every 100 ms until the subscription hears one; returns what it heard. */
async function publishUntilHeard(publisher: Bus, subject: string, sub: Subscription, label: string): Promise<string> {
  const heard = take(sub, 1, 20_000);
  let stop = false;
  const publishing = (async () => {
    for (let n = 0; !stop; n++) {
      publisher.publish(subject, bytes(`${label}-${n}`));
      await sleep(100);
    }
  })();
  try {
    return text((await heard)[0]!);
  } finally {
    stop = true;
    await publishing;
  }
}

it("survives a NATS restart: subscriptions come back, new ones become ready, status changes are logged", async () => {
  const logs = capturedLogs();
  const subscriber = await connectNatsBus({ url: server.url, name: "restart-subscriber", logger: logs.logger });
  const publisher = await connectNatsBus({ url: server.url, name: "restart-publisher" });
  try {
    const sub = subscriber.subscribe("restart.events");
    await sub.ready;
    publisher.publish("restart.events", bytes("before"));
    expect((await take(sub, 1)).map(text)).toEqual(["before"]);

    await server.kill();
    expect(() => publisher.publish("restart.events", bytes("while-down"))).not.toThrow();
    const madeWhileDown = subscriber.subscribe("restart.late");
    let lateReady = false;
    void madeWhileDown.ready.then(() => (lateReady = true));
    // A negative window: with the server down, the subscription cannot become ready.
    const DOWN_WINDOW_MS = 500;
    await sleep(DOWN_WINDOW_MS);
    expect(lateReady).toBe(false);

    await server.start();
    expect(await publishUntilHeard(publisher, "restart.events", sub, "after")).toMatch(/^after-\d+$/);
    await madeWhileDown.ready;
    publisher.publish("restart.late", bytes("late"));
    expect((await take(madeWhileDown, 1)).map(text)).toEqual(["late"]);

    const messages = logs.lines().map((line) => line.msg);
    expect(messages).toContain("bus: connected to NATS");
    expect(messages.some((m) => m.startsWith("bus: lost the NATS connection"))).toBe(true);
    expect(messages).toContain("bus: reconnected to NATS; subscriptions restored");
    expect(logs.lines().every((line) => line.natsUrl === server.url)).toBe(true);
  } finally {
    await Promise.all([subscriber.close(), publisher.close()]);
  }
}, 60_000);

it("closes promptly while NATS is down, ending every subscription", async () => {
  const bus = await connectNatsBus({ url: server.url, name: "close-while-down", drainTimeoutMs: 300 });
  const sub = bus.subscribe("down.events");
  await sub.ready;
  await server.kill();
  try {
    const started = Date.now();
    await bus.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await endsWithin(sub, 1_000)).toBe(true);
  } finally {
    await server.start();
  }
}, 30_000);
