import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readRepoContext, summarizeTree } from "../../services/planner/repo-context.js";
import { git, initRepo } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";

let dir: TempDir | undefined;
afterEach(async () => {
  await dir?.remove();
  dir = undefined;
});

describe("repository context for the planner", () => {
  it("summarises tracked files (top level with counts, shallowest paths) and git status", async () => {
    dir = await tempDir("pushpals-context-");
    await initRepo(dir.path, { "README.md": "x\n", "src/a.ts": "a\n", "src/deep/b.ts": "b\n", "docs/guide.md": "g\n" });
    await writeFile(join(dir.path, "README.md"), "changed\n");
    await writeFile(join(dir.path, "new.txt"), "new\n");

    const context = await readRepoContext(dir.path, AbortSignal.timeout(10_000));

    expect(context.treeSummary).toBe(
      ["4 tracked files", "top level: docs/ (1 files), README.md, src/ (2 files)", "paths (all):", "README.md", "docs/guide.md", "src/a.ts", "src/deep/b.ts"].join("\n"),
    );
    expect(context.gitStatus).toBe(["branch main", " M README.md", "?? new.txt"].join("\n"));
  });

  it("stays bounded on a large repository", () => {
    const paths = Array.from({ length: 20_000 }, (_, i) => `pkg${i % 50}/src/module${i}/index.ts`);
    const summary = summarizeTree(paths, { maxPaths: 200 });
    expect(summary.split("\n")).toHaveLength(3 + 200);
    expect(summary).toContain("paths (200 of 20000, shallowest first):");
  });

  it("says what is missing instead of failing outside a git repository", async () => {
    dir = await tempDir("pushpals-context-");
    const context = await readRepoContext(dir.path, AbortSignal.timeout(10_000));
    expect(context.treeSummary).toMatch(/^\(unavailable: .*not a git repository/i);
    expect(context.gitStatus).toMatch(/^\(unavailable: /);
  });

  it("reports a clean tree and a truncated status", async () => {
    dir = await tempDir("pushpals-context-");
    await initRepo(dir.path);
    expect((await readRepoContext(dir.path, AbortSignal.timeout(10_000))).gitStatus).toBe("branch main\n(clean working tree)");
    for (let i = 0; i < 60; i++) await writeFile(join(dir.path, `f${String(i).padStart(2, "0")}.txt`), "x");
    const status = (await readRepoContext(dir.path, AbortSignal.timeout(10_000))).gitStatus;
    expect(status.split("\n")).toHaveLength(1 + 50 + 1);
    expect(status).toMatch(/… and 10 more changed paths$/);
    expect(await git(dir.path, "status", "--porcelain")).toContain("f59.txt");
  });
});
