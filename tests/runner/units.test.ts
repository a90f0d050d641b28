import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { LogStream } from "../../gen/pushpals/v1/common_pb.js";
import { WriteScopeSchema } from "../../gen/pushpals/v1/task_pb.js";
import { WORKER_ID } from "../../shared/ids.js";
import { silentLogger } from "../../shared/log.js";
import { collapseRedraws, lineAssembler } from "../../services/runner/log-lines.js";
import { outputCap } from "../../services/runner/output-cap.js";
import { sandboxEnv } from "../../services/runner/sandbox-env.js";
import { checkScope } from "../../services/runner/scope-check.js";
import { defaultWorkerId, pidOfDefaultWorkerId, workerIdFrom } from "../../services/runner/worker-id.js";
import { commitIdentity } from "../../services/runner/commit-identity.js";
import { parseNameStatus } from "../../services/runner/workspace/index.js";

describe("worker ids", () => {
  it("default to <hostname>-<pid>, lower-cased and made safe, always matching WORKER_ID", () => {
    expect(defaultWorkerId("Build-Box.Example.COM", 4242)).toBe("build-box.example.com-4242");
    expect(defaultWorkerId("my host_ (1)", 7)).toBe("my-host_-1-7");
    expect(defaultWorkerId("--", 7)).toBe("runner-7");
    const long = defaultWorkerId("h".repeat(200), 4194304);
    expect(long).toHaveLength(63);
    expect(long.endsWith("-4194304")).toBe(true);
    for (const id of [long, defaultWorkerId("ÜBER-host", 1), defaultWorkerId("", 1)]) expect(id).toMatch(WORKER_ID);
  });

  it("take a configured id as it is, and refuse a bad one naming the key", () => {
    expect(workerIdFrom("runner-1")).toBe("runner-1");
    expect(() => workerIdFrom("Runner 1")).toThrow(/runner\.workerId: "Runner 1" must be 1-63 lower-case letters/);
  });

  it("recognise a default id of this host to find a dead runner's leftovers", () => {
    expect(pidOfDefaultWorkerId(defaultWorkerId("box", 123), "box")).toBe(123);
    expect(pidOfDefaultWorkerId("runner-1", "box")).toBeUndefined();
    expect(pidOfDefaultWorkerId(defaultWorkerId("other", 123), "box")).toBeUndefined();
  });
});

describe("log lines", () => {
  it("collapse carriage-return redraws as a terminal would show them", () => {
    expect(collapseRedraws("10%\r50%\r100%")).toBe("100%");
    expect(collapseRedraws("abcdef\rxy")).toBe("xycdef");
    expect(collapseRedraws("line\r")).toBe("line");
    expect(collapseRedraws("plain")).toBe("plain");
  });

  it("are cut per newline, hold partial lines, fold redraws as they come and cut endless lines", () => {
    const lines = lineAssembler(10);
    expect(lines.push("one\ntw")).toEqual(["one"]);
    expect(lines.push("o\n")).toEqual(["two"]);
    expect(lines.push("\r1/3")).toEqual([]);
    expect(lines.push("\r2/3")).toEqual([]);
    expect(lines.push("\r3/3\n")).toEqual(["3/3"]);
    expect(lines.push("abcdef\r")).toEqual([]);
    expect(lines.push("xy\n")).toEqual(["xycdef"]);
    expect(lines.push("0123456789abcdefghijk")).toEqual(["0123456789", "abcdefghij"]);
    expect(lines.flush()).toEqual(["k"]);
    expect(lines.flush()).toEqual([]);
  });

  it("keep a redrawn line small however many frames it gets", () => {
    const lines = lineAssembler(100);
    for (let i = 0; i < 10_000; i += 1) expect(lines.push(`\rframe ${i}`)).toEqual([]);
    expect(lines.flush()).toEqual(["frame 9999"]);
  });
});

describe("a command's output cap", () => {
  const entry = (text: string) => ({ stream: LogStream.STDOUT, text, time: 1 });

  it("passes output under the cap straight through", () => {
    const cap = outputCap(100);
    expect(cap.push(entry("a"))).toEqual([entry("a")]);
    expect(cap.finish()).toEqual([]);
    expect(cap.elided).toBe(false);
  });

  it("keeps the head live, holds the tail to the end and counts what it left out", () => {
    const cap = outputCap(40); // 20 bytes of head, 20 of tail; each line is 5 bytes
    const emitted = Array.from({ length: 20 }, (_, i) => cap.push(entry(`l-${String(i).padStart(2, "0")}`))).flat();
    expect(emitted.map((e) => e.text)).toEqual(["l-00", "l-01", "l-02", "l-03"]);
    const rest = cap.finish();
    expect(rest[0]?.stream).toBe(LogStream.SYSTEM);
    expect(rest[0]?.text).toMatch(/^\[12 lines \(60 bytes\) of this command's output left out/);
    expect(rest.slice(1).map((e) => e.text)).toEqual(["l-16", "l-17", "l-18", "l-19"]);
    expect(cap.elided).toBe(true);
  });
});

describe("the write scope check", () => {
  const changes = (...paths: string[]) => paths.map((path) => ({ path, status: "modified" as const }));
  const scope = (init: Parameters<typeof create<typeof WriteScopeSchema>>[1]) => create(WriteScopeSchema, init);

  it("lets anything through without a scope or without changes", () => {
    expect(checkScope(changes("a"), undefined)).toEqual({ ok: true });
    expect(checkScope([], scope({ writeAllowed: false }))).toEqual({ ok: true });
  });

  it("names each offending path once, and cuts long lists", () => {
    const verdict = checkScope(changes("src/a.ts", "lib/b.ts", "lib/.env"), scope({ writeAllowed: true, writeGlobs: ["src/**"], forbiddenGlobs: ["**/.env"] }));
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.paths.sort()).toEqual(["lib/.env", "lib/b.ts"]);
    expect(verdict.message).toContain("outside write_globs [src/**]: lib/b.ts, lib/.env");
    expect(verdict.message).toContain("inside forbidden_globs [**/.env]: lib/.env");
    const many = checkScope(changes(...Array.from({ length: 30 }, (_, i) => `f${i}`)), scope({ writeAllowed: true, maxFilesToEdit: 5 }));
    expect(many.ok ? "" : many.message).toMatch(/30 files changed but max_files_to_edit is 5: f0, f1, .*f19 and 10 more/);
  });
});

describe("sandbox environment and commit identity", () => {
  it("passes allow-listed variables only, never ones named like secrets", () => {
    const env = sandboxEnv(["PATH", "HOME", "OPENAI_API_KEY", "GH_TOKEN", "DB_URL", "UNSET"], silentLogger, {
      PATH: "/bin",
      HOME: "/h",
      OPENAI_API_KEY: "k",
      GH_TOKEN: "t",
      DB_URL: "postgres://u:p@db/x",
      OTHER: "o",
    });
    expect(env).toEqual({ PATH: "/bin", HOME: "/h" });
  });

  it("splits 'Name <email>'", () => {
    expect(commitIdentity("PushPals <pushpals@users.noreply.localhost>")).toEqual({ name: "PushPals", email: "pushpals@users.noreply.localhost" });
  });

  it("parses diff-tree name-status listings, odd paths included", () => {
    expect(parseNameStatus("M\0a b.txt\0A\0new\nline\0D\0gone\0")).toEqual([
      { path: "a b.txt", status: "modified" },
      { path: "new\nline", status: "added" },
      { path: "gone", status: "deleted" },
    ]);
  });
});
