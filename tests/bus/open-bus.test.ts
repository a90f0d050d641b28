import { createServer } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { openBus } from "../../services/control-plane/bus/open-bus.js";
import { SHARED_NATS_URL } from "./support/buses.js";

async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 0;
}

async function openFailure(natsUrl: string): Promise<ConnectError> {
  const error = await openBus({ natsUrl, name: "open-bus-test" }).then(
    async (bus) => (await bus.close(), undefined),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

describe("openBus", () => {
  it("opens the in-process bus for an empty URL", async () => {
    for (const natsUrl of ["", "  "]) {
      const bus = await openBus({ natsUrl, name: "open-bus-test" });
      expect(bus.kind).toBe("memory");
      await bus.close();
    }
  });

  it("opens NATS for a nats:// URL", async () => {
    const bus = await openBus({ natsUrl: SHARED_NATS_URL, name: "open-bus-test" });
    expect(bus.kind).toBe("nats");
    await bus.close();
  });

  it("rejects a URL the Node transport cannot dial, naming bus.natsUrl", async () => {
    const error = await openFailure("ws://127.0.0.1:8080");
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/^bus\.natsUrl: must start with nats:\/\/ or tls:\/\/ \(scheme here: ws\)/);
  });

  it("fails fast with Unavailable and what to do when NATS is not there, without leaking credentials", async () => {
    const port = await refusedPort();
    const started = Date.now();
    const error = await openFailure(`nats://pushpals:s3cret@127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toContain(`could not reach NATS at nats://pushpals:***@127.0.0.1:${port}`);
    expect(error.rawMessage).toContain("PUSHPALS_NATS_URL");
    expect(error.rawMessage).not.toContain("s3cret");
  });
});
