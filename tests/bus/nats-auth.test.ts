import { spawn } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bus } from "../../services/control-plane/bus/bus.js";
import { redactNatsUrl } from "../../services/control-plane/bus/nats-credentials.js";
import { loadConfig } from "../../shared/config/load.js";
import { openBus, type OpenBusOptions } from "../../services/control-plane/bus/open-bus.js";
import { initRepo } from "../support/git.js";
import { PUSHPALS_BIN, startPushpals } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { createClients } from "../../shared/clients.js";
import { freshDatabase, type FreshDatabase } from "../support/postgres.js";
import { bytes, take, text } from "./support/buses.js";
import { capturedLogs } from "./support/captured-logs.js";
import { mintDecentralizedAuth } from "./support/nats-jwt.js";
import { ownNatsServer, type OwnNatsServer } from "./support/own-nats-server.js";

const USER = "pushpals";
const PASSWORD = "s3cret/p@ss:word";
const TOKEN = "t0ken-for-the-bus-0123456789";

/** The URL with credentials: the password percent-encoded, as in PUSHPALS_NATS_URL. */
const withUser = (url: string, user: string, password: string) => url.replace("nats://", `nats://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`);

async function openFailure(options: OpenBusOptions): Promise<ConnectError> {
  const error = await openBus(options).then(
    async (bus) => (await bus.close(), undefined),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

/** A message really goes through: the server accepted this client for publishing and subscribing. */
async function roundTrip(bus: Bus): Promise<void> {
  const sub = bus.subscribe("auth.check");
  await sub.ready;
  bus.publish("auth.check", bytes("hello"));
  expect((await take(sub, 1)).map(text)).toEqual(["hello"]);
  sub.close();
}

describe("NATS with a user and password", () => {
  let server: OwnNatsServer;
  beforeAll(async () => {
    server = await ownNatsServer({ args: ["--user", USER, "--pass", PASSWORD] });
  });
  afterAll(() => server?.dispose());

  it("connects with the credentials in the URL, and never logs the password", async () => {
    const logs = capturedLogs();
    const bus = await openBus({ natsUrl: withUser(server.url, USER, PASSWORD), name: "auth-test", logger: logs.logger });
    await roundTrip(bus);
    await bus.close();
    const logged = logs.lines();
    expect(logged.find((line) => line.msg === "bus: connected to NATS")).toMatchObject({
      natsUrl: server.url.replace("nats://", `nats://${USER}:***@`),
      auth: `user "${USER}" and password from bus.natsUrl (PUSHPALS_NATS_URL)`,
    });
    const all = JSON.stringify(logged);
    expect(all).not.toContain(encodeURIComponent(PASSWORD));
    expect(all).not.toContain(PASSWORD);
  });

  it("fails at start without credentials, saying which settings to set", async () => {
    const started = Date.now();
    const error = await openFailure({ natsUrl: server.url, name: "auth-test" });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toContain(`NATS at ${server.url} requires credentials and none are configured`);
    expect(error.rawMessage).toContain("PUSHPALS_NATS_URL (nats://user:password@host:port)");
    expect(error.rawMessage).toContain("PUSHPALS_NATS_TOKEN or PUSHPALS_NATS_CREDS");
  });

  it("fails at start with a wrong password, naming the setting and not the password", async () => {
    const error = await openFailure({ natsUrl: withUser(server.url, USER, "wrong-password"), name: "auth-test" });
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toContain(`refused the user "${USER}" and password from bus.natsUrl (PUSHPALS_NATS_URL)`);
    expect(error.rawMessage).toContain("fix bus.natsUrl (PUSHPALS_NATS_URL)");
    expect(error.rawMessage).not.toContain("wrong-password");
  });
});

describe("NATS with a token", () => {
  let server: OwnNatsServer;
  beforeAll(async () => {
    server = await ownNatsServer({ args: ["--auth", TOKEN] });
  });
  afterAll(() => server?.dispose());

  it("connects with bus.natsToken, or with the token in the URL", async () => {
    for (const options of [{ natsUrl: server.url, natsToken: TOKEN }, { natsUrl: server.url.replace("nats://", `nats://${TOKEN}@`) }]) {
      const logs = capturedLogs();
      const bus = await openBus({ ...options, name: "auth-test", logger: logs.logger });
      await roundTrip(bus);
      await bus.close();
      expect(JSON.stringify(logs.lines())).not.toContain(TOKEN);
    }
  });

  it("fails at start with a wrong token, naming bus.natsToken", async () => {
    const error = await openFailure({ natsUrl: server.url, natsToken: "not-the-token-at-all", name: "auth-test" });
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toContain("fix bus.natsToken (PUSHPALS_NATS_TOKEN)");
    expect(error.rawMessage).not.toContain("not-the-token-at-all");
  });
});

describe("NATS in operator mode with a creds file", () => {
  let server: OwnNatsServer;
  let dir: TempDir;
  let creds: string;
  let strangerCreds: string;
  beforeAll(async () => {
    const auth = mintDecentralizedAuth();
    server = await ownNatsServer({ config: auth.serverConfig });
    dir = await tempDir("pushpals-creds-");
    creds = join(dir.path, "pushpals.creds");
    strangerCreds = join(dir.path, "stranger.creds");
    await writeFile(creds, auth.creds, { mode: 0o600 });
    await writeFile(strangerCreds, auth.strangerCreds, { mode: 0o600 });
  });
  afterAll(async () => {
    await server?.dispose();
    await dir?.remove();
  });

  it("connects with bus.natsCredsFile", async () => {
    const logs = capturedLogs();
    const bus = await openBus({ natsUrl: server.url, natsCredsFile: creds, name: "auth-test", logger: logs.logger });
    await roundTrip(bus);
    await bus.close();
    expect(logs.lines().find((line) => line.msg === "bus: connected to NATS")?.auth).toBe(`creds file ${creds} (bus.natsCredsFile (PUSHPALS_NATS_CREDS))`);
  });

  it("fails at start without them: the server really is in operator mode", async () => {
    const error = await openFailure({ natsUrl: server.url, name: "auth-test" });
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toContain("requires credentials and none are configured");
  });

  it("fails at start with creds the server does not trust, naming bus.natsCredsFile", async () => {
    const error = await openFailure({ natsUrl: server.url, natsCredsFile: strangerCreds, name: "auth-test" });
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toContain("fix bus.natsCredsFile (PUSHPALS_NATS_CREDS)");
  });

  it("refuses a missing or malformed creds file before dialling, naming bus.natsCredsFile", async () => {
    const missing = await openFailure({ natsUrl: server.url, natsCredsFile: join(dir.path, "nope.creds"), name: "auth-test" });
    expect(missing.code).toBe(Code.InvalidArgument);
    expect(missing.rawMessage).toMatch(/^bus\.natsCredsFile: could not read .*nope\.creds: .*ENOENT.*; point PUSHPALS_NATS_CREDS at/);
    const garbage = join(dir.path, "garbage.creds");
    await writeFile(garbage, "not a creds file\n");
    const malformed = await openFailure({ natsUrl: server.url, natsCredsFile: garbage, name: "auth-test" });
    expect(malformed.code).toBe(Code.InvalidArgument);
    expect(malformed.rawMessage).toContain(`bus.natsCredsFile: ${garbage} is not a NATS .creds file`);
  });
});

describe("redactNatsUrl", () => {
  it("hides the whole password or token, even one with an unencoded @ or /", () => {
    expect(redactNatsUrl("nats://u:p@ss/w0rd@host:4222")).toBe("nats://u:***@host:4222");
    expect(redactNatsUrl("tls://u:s3cret@host")).toBe("tls://u:***@host");
    expect(redactNatsUrl(`nats://${TOKEN}@host:4222`)).toBe("nats://***@host:4222");
    expect(redactNatsUrl("nats://host:4222")).toBe("nats://host:4222");
  });
});

describe("NATS credential settings", () => {
  it("come from [bus] or PUSHPALS_NATS_CREDS and PUSHPALS_NATS_TOKEN", () => {
    expect(loadConfig({ env: {} }).bus).toMatchObject({ natsUrl: "", natsCredsFile: "", natsToken: "" });
    const config = loadConfig({ env: { PUSHPALS_NATS_CREDS: "/etc/pushpals/nats.creds", PUSHPALS_NATS_TOKEN: TOKEN } });
    expect(config.bus).toMatchObject({ natsCredsFile: "/etc/pushpals/nats.creds", natsToken: TOKEN });
  });

  it("refuses two ways to authenticate at once, naming both", async () => {
    const error = await openFailure({ natsUrl: "nats://u:p@127.0.0.1:4222", natsToken: TOKEN, name: "auth-test" });
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe(
      "bus: NATS credentials are set in bus.natsUrl (PUSHPALS_NATS_URL) and bus.natsToken (PUSHPALS_NATS_TOKEN); keep one of them (the one your nats-server expects)",
    );
  });
});

describe("a control plane process on an authenticated NATS", () => {
  let server: OwnNatsServer;
  let db: FreshDatabase;
  let dir: TempDir;
  beforeAll(async () => {
    server = await ownNatsServer({ args: ["--user", USER, "--pass", PASSWORD] });
    db = await freshDatabase("natsauth");
    dir = await tempDir("pushpals-natsauth-");
  });
  afterAll(async () => {
    await server?.dispose();
    await db?.drop();
    await dir?.remove();
  });

  const env = (natsUrl: string) => ({
    PUSHPALS_DATABASE_URL: db.url,
    PUSHPALS_NATS_URL: natsUrl,
    PUSHPALS_PORT: "0",
    PUSHPALS_REPO: dir.path,
    PUSHPALS_DATA_DIR: dir.path,
  });

  it("starts with the credentials and streams events through the bus", async () => {
    const sessions = await startPushpals(["serve", "sessions"], env(withUser(server.url, USER, PASSWORD)));
    try {
      const clients = createClients(sessions.url);
      const { session } = await clients.sessions.createSession({ title: "authenticated bus" });
      const controller = new AbortController();
      const seen: string[] = [];
      for await (const res of clients.sessions.streamEvents({ sessionId: session!.id, afterSeq: 0n }, { signal: controller.signal })) {
        if (res.message.case !== "event") continue;
        seen.push(res.message.value.payload.case ?? "");
        if (seen.length === 1) await clients.sessions.postMessage({ sessionId: session!.id, text: "over NATS" });
        if (seen.length === 2) break;
      }
      expect(seen).toEqual(["sessionCreated", "message"]);
      expect(sessions.logs.join("\n")).not.toContain(encodeURIComponent(PASSWORD));
    } finally {
      await sessions.stop();
    }
  });

  it("pushpals up shows the bus redacted in its banner, and the password nowhere", async () => {
    const repo = await tempDir("pushpals-natsauth-up-");
    try {
      await initRepo(repo.path, { "README.md": "# authenticated bus\n" });
      const up = await startPushpals(
        ["up"],
        { PUSHPALS_PORT: "0", PUSHPALS_LOG_LEVEL: "info", PUSHPALS_LLM_MODEL: "", PUSHPALS_NATS_URL: withUser(server.url, USER, PASSWORD) },
        {
          cwd: repo.path,
          timeoutMs: 30_000,
        },
      );
      try {
        expect(up.output.join("\n")).toContain(`bus           ${server.url.replace("nats://", `nats://${USER}:***@`)}`);
        const everything = [...up.output, ...up.logs].join("\n");
        expect(everything).toContain("bus: connected to NATS");
        expect(everything).not.toContain(encodeURIComponent(PASSWORD));
        expect(everything).not.toContain(PASSWORD);
      } finally {
        await up.stop();
      }
    } finally {
      await repo.remove();
    }
  });

  it("exits at start without them, with a line that says which setting to fix", async () => {
    const child = spawn(process.execPath, [PUSHPALS_BIN, "serve", "sessions"], {
      env: { ...process.env, PUSHPALS_LOG_LEVEL: "warn", ...env(server.url) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    createInterface({ input: child.stderr! }).on("line", (line) => lines.push(line));
    createInterface({ input: child.stdout! }).on("line", (line) => lines.push(line));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).not.toBe(0);
    const output = lines.join("\n");
    expect(output).toContain(`NATS at ${server.url} requires credentials and none are configured`);
    expect(output).toContain("PUSHPALS_NATS_URL (nats://user:password@host:port)");
  });
});
