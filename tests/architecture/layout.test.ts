import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { packageRoot } from "../../shared/paths.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { checkLayout } from "./check-layout.js";
import { readImports } from "./imports.js";
import { ROOMS, SOURCE_FOLDERS } from "./rooms.js";

describe("the layout (ARCHITECTURE.md)", () => {
  it("has every source file in a room, no upward or sideways import, no cycle, no production use of dev/", () => {
    const report = checkLayout(packageRoot(), ROOMS, SOURCE_FOLDERS);
    expect(report.violations).toEqual([]);
    expect(report.cycles).toEqual([]);
    // The walk really read the tree: hundreds of files and their imports.
    expect(report.files).toBeGreaterThan(300);
    expect(report.edges).toBeGreaterThan(1000);
  });
});

describe("the import rule, on planted trees", () => {
  let dir: TempDir | undefined;
  afterEach(async () => {
    await dir?.remove();
    dir = undefined;
  });

  /** A tree that keeps the rule, plus the planted files. */
  async function tree(planted: Record<string, string>) {
    dir = await tempDir("pushpals-layout-");
    const files: Record<string, string> = {
      "gen/pushpals/v1/a_pb.ts": "export const A = 1;\n",
      "shared/log.ts": 'import { A } from "../gen/pushpals/v1/a_pb.js";\nexport const log = A;\n',
      "sandbox/driver.ts": 'import { log } from "../shared/log.js";\nexport const driver = log;\n',
      "dev/fake-model/server.ts": 'import { log } from "../../shared/log.js";\nexport const fake = log;\n',
      "services/integration/checks.ts": 'import { driver } from "../../sandbox/driver.js";\nexport const checks = driver;\n',
      "services/runner/run.ts": 'import type { driver } from "../../sandbox/driver.js";\nexport const run = 1;\n',
      "cli/main.ts": 'export const main = async () => (await import("../services/runner/run.js")).run;\n',
      "cli/demo/demo.ts": 'import { fake } from "../../dev/fake-model/server.js";\nexport const demo = fake;\n',
      "bin/pushpals.js": 'await import(new URL("../dist/cli/main.js", import.meta.url).href);\n',
      "tests/a.test.ts": 'import { fake } from "../dev/fake-model/server.js";\nimport "../services/runner/run.js";\n',
      ...planted,
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir.path, path)), { recursive: true });
      await writeFile(join(dir.path, path), text);
    }
    return checkLayout(dir.path, ROOMS, SOURCE_FOLDERS);
  }

  it("passes a tree that keeps the rule (tests may import anything; the demo may use the fake model)", async () => {
    const report = await tree({});
    expect(report).toMatchObject({ violations: [], cycles: [] });
    expect(report.edges).toBe(10);
  });

  it("fails an upward import, naming the file, the line and what to do", async () => {
    const report = await tree({ "shared/helper.ts": '// uses the runner\n\nimport { run } from "../services/runner/run.js";\n' });
    expect(report.violations).toEqual([
      "shared/helper.ts:3: shared/ imports services/runner/ (../services/runner/run.js): an upward import (layer 1 → 3); move the shared part down into a lower room",
    ]);
  });

  it("fails a sideways import between services, type-only ones too", async () => {
    const report = await tree({ "services/runner/trailer.ts": 'export type { checks } from "../integration/checks.js";\n' });
    expect(report.violations).toHaveLength(1);
    expect(report.violations[0]).toMatch(/^services\/runner\/trailer\.ts:1: services\/runner\/ imports services\/integration\/ .*sideways/);
  });

  it("fails a cycle between rooms and names it", async () => {
    const report = await tree({
      "sandbox/uses-integration.ts": 'const load = () => import("../services/integration/checks.js");\nexport { load };\n',
    });
    expect(report.cycles).toEqual(["sandbox/ → services/integration/ → sandbox/"]);
    expect(report.violations.some((v) => v.includes("upward import (layer 2 → 3)"))).toBe(true);
  });

  it("fails production code importing the dev room, vi.mock and new URL(…) included", async () => {
    const report = await tree({
      "services/planner/model.ts": 'export const url = new URL("../../dev/fake-model/server.js", import.meta.url);\n',
      "cli/up.ts": 'vi.mock("../dev/fake-model/server.js");\n',
    });
    expect(report.violations).toHaveLength(2);
    for (const line of report.violations) expect(line).toContain("must not import the dev room");
  });

  it("fails a source file in no room, and production importing tests", async () => {
    const report = await tree({
      "services/misc/old.ts": "export const old = 1;\n",
      "cli/helper.ts": 'import "../tests/a.test.js";\n',
    });
    expect(report.violations).toEqual([
      "cli/helper.ts:1: cli/ imports tests/ (../tests/a.test.js): production code must not import tests, bench or scripts; move what both need into a room",
      "services/misc/old.ts: in no room; put it in one of ARCHITECTURE.md's rooms (or add the room to tests/architecture/rooms.ts and the page)",
    ]);
  });

  it("reads no import out of a comment or a string", () => {
    const text = [
      '// import { x } from "../services/runner/run.js";',
      '/* export * from "../cli/main.js"; */',
      'const prose = "see ../services/chat for the details";',
      'import { y } from "../services/chat/chat.js"; // a real one',
    ].join("\n");
    expect(readImports("/nowhere", "shared/a.ts", text).map((e) => [e.to, e.line])).toEqual([["services/chat/chat.js", 4]]);
  });
});
