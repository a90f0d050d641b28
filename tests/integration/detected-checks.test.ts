import { afterEach, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { detectChecks } from "../../services/integration/checks/detect-checks.js";
import { tempDir } from "../support/tmp.js";
import { createServiceScene, type ServiceScene } from "./support/service-scene.js";

async function detectIn(files: Record<string, string>) {
  const dir = await tempDir("pushpals-detect-");
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir.path, name), text);
    const found = await detectChecks(dir.path);
    return found && { command: found.command, detectedFrom: found.detectedFrom, name: found.name };
  } finally {
    await dir.remove();
  }
}

describe("detectChecks: the repository's test command", () => {
  it("finds each kind of project, first package.json, then pytest, go, cargo, make", async () => {
    expect(await detectIn({ "package.json": JSON.stringify({ scripts: { test: "vitest run" } }) })).toEqual({
      command: "npm test",
      detectedFrom: "package.json scripts.test",
      name: "test (detected from package.json scripts.test)",
    });
    expect((await detectIn({ "pyproject.toml": "[project]\nname = 'x'\n\n[tool.pytest.ini_options]\naddopts = '-q'\n" }))?.command).toBe("python3 -m pytest");
    expect((await detectIn({ "pytest.ini": "[pytest]\n" }))?.detectedFrom).toBe("pytest.ini");
    expect(await detectIn({ "go.mod": "module example.com/x\n" })).toMatchObject({ command: "go test ./...", detectedFrom: "go.mod" });
    expect(await detectIn({ "Cargo.toml": "[package]\nname = 'x'\n" })).toMatchObject({ command: "cargo test", detectedFrom: "Cargo.toml" });
    expect(await detectIn({ Makefile: "build:\n\tcc x.c\n\ntest: build\n\t./x --self-test\n" })).toMatchObject({ command: "make test", detectedFrom: "Makefile test target" });
    // package.json wins over a Makefile beside it.
    expect((await detectIn({ "package.json": '{"scripts":{"test":"node t.js"}}', Makefile: "test:\n\ttrue\n" }))?.command).toBe("npm test");
  });

  it("finds nothing where nothing says how to test: npm's placeholder script, broken JSON, a Makefile without test, pyproject without pytest", async () => {
    expect(await detectIn({ "package.json": JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }) })).toBeUndefined();
    expect(await detectIn({ "package.json": "{ not json" })).toBeUndefined();
    expect(await detectIn({ Makefile: "build:\n\tcc x.c\ntest_flags := -q\n" })).toBeUndefined();
    expect(await detectIn({ "pyproject.toml": "[project]\nname = 'x'\n" })).toBeUndefined();
    expect(await detectIn({})).toBeUndefined();
  });
});

describe("integration with integration.checks unset or empty", () => {
  let s: ServiceScene | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });
  const checksOf = (item: QueueItem) => (item.result?.kind.case === "completion" ? item.result.kind.value.checks.map((c) => [c.name, c.command, c.passed]) : []);
  // The repository's test: it passes only on the merged tree, where a.txt exists.
  const files = {
    "package.json": JSON.stringify({ name: "scratch", private: true, scripts: { test: "node -e \"require('fs').accessSync('a.txt'); console.log('detected test ran')\"" } }),
  };

  it("unset: runs the detected `npm test` on the merge, and the merge's check and its events say it was detected", async () => {
    s = await createServiceScene({ files });
    s.startWorker();
    const item = await s.enqueue(await s.git.job({ "a.txt": "a\n" }));
    const done = await s.waitFor(item.id, [ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.DEAD_LETTER]);
    expect(done.status, done.lastError).toBe(ItemStatus.COMPLETED);
    expect(checksOf(done)).toEqual([["test (detected from package.json scripts.test)", "npm test", true]]);
    const steps = (await s.events(item.id)).flatMap((e) => (e.payload.case === "integrationStep" && e.payload.value.stage === "check" ? [e.payload.value.detail] : []));
    expect(steps).toContain("running test (detected from package.json scripts.test): npm test");
  }, 60_000);

  it("checks = []: runs nothing, even with a test command in the repository", async () => {
    s = await createServiceScene({ files });
    s.startWorker({ overrides: { "integration.checks": [] } });
    const item = await s.enqueue(await s.git.job({ "b.txt": "b\n" }));
    const done = await s.waitFor(item.id, [ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.DEAD_LETTER]);
    expect(done.status, done.lastError).toBe(ItemStatus.COMPLETED);
    expect(checksOf(done)).toEqual([]);
  }, 60_000);
});
