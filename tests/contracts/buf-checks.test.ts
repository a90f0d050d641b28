import { execFile } from "node:child_process";
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir, type TempDir } from "../support/tmp.js";

const run = promisify(execFile);
const REPO_ROOT = join(import.meta.dirname, "..", "..");
const BUF = join(REPO_ROOT, "node_modules", ".bin", "buf");
const BASELINE = join(REPO_ROOT, "proto", "releases", "v0.1.0.binpb");
const SESSIONS = join("proto", "pushpals", "v1", "sessions.proto");

let copy: TempDir;

beforeEach(async () => {
  // The workspace as CI sees it (buf.yaml + proto/), in a scratch directory the test may edit.
  copy = await tempDir("pushpals-buf-breaking-");
  await cp(join(REPO_ROOT, "buf.yaml"), join(copy.path, "buf.yaml"));
  await cp(join(REPO_ROOT, "proto"), join(copy.path, "proto"), { recursive: true });
  await rm(join(copy.path, "proto", "releases"), { recursive: true, force: true });
});

afterEach(async () => copy.remove());

/** A buf command .ci/run runs, on the scratch copy; never throws on a failed check. */
async function buf(args: string[]): Promise<{ exitCode: number; output: string }> {
  try {
    const { stdout, stderr } = await run(BUF, [...args, "--error-format", "text"], { cwd: copy.path, timeout: 60_000 });
    return { exitCode: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: typeof failed.code === "number" ? failed.code : -1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

const bufBreaking = () => buf(["breaking", "proto", "--against", BASELINE]);

async function edit(file: string, from: string, to: string): Promise<void> {
  const path = join(copy.path, file);
  const text = await readFile(path, "utf8");
  if (!text.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}; update the test`);
  await writeFile(path, text.replace(from, to));
}

describe("buf breaking against the v0.1.0 contracts", () => {
  it("passes for today's protos plus a new field and a new comment", async () => {
    await edit(SESSIONS, "  uint64 last_seq = 5;\n", "  uint64 last_seq = 5;\n  // Added after the release: fine for old clients.\n  string added_later = 99;\n");
    expect(await bufBreaking()).toEqual({ exitCode: 0, output: "" });
  });

  it("fails when a released field changes its type, naming the field", async () => {
    await edit(SESSIONS, "  uint64 last_seq = 5;", "  string last_seq = 5;");
    const result = await bufBreaking();
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("sessions.proto");
    expect(result.output).toMatch(/"last_seq"/);
  });

  it("fails when a released field is deleted", async () => {
    await edit(SESSIONS, "  uint64 last_seq = 5;\n", "");
    const result = await bufBreaking();
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/Previously present field "5" with name "last_seq" on message "Session" was deleted/);
  });
});

describe("buf lint requires documentation", () => {
  it("passes for today's protos", async () => {
    expect(await buf(["lint"])).toEqual({ exitCode: 0, output: "" });
  });

  it("fails on a field without a comment, naming it", async () => {
    await edit(SESSIONS, "  uint64 last_seq = 5;\n", "  uint64 last_seq = 5;\n  string undocumented = 99;\n");
    const result = await buf(["lint"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/sessions\.proto:\d+:\d+:Field "undocumented" should have a non-empty comment/);
  });
});
