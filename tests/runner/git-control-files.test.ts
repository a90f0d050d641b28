import { execFile } from "node:child_process";
import { chmod, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { changedPaths, commonControlFiles, restore, snapshot } from "../../services/runner/git-control-files.js";
import { initRepo } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";

const run = promisify(execFile);

describe("fingerprinting and restoring git control files", () => {
  let dir: TempDir;
  let gitDir: string;
  const guarded = () => commonControlFiles(gitDir);

  beforeEach(async () => {
    dir = await tempDir("pushpals-control-files-");
    await initRepo(dir.path);
    gitDir = join(dir.path, ".git");
  });
  afterEach(() => dir.remove());

  async function tamperAndRestore(tamper: () => Promise<void>): Promise<string[]> {
    const before = await snapshot(guarded(), { keepContent: true });
    await tamper();
    const changed = changedPaths(before, await snapshot(guarded(), { keepContent: false }));
    await restore(before, changed);
    expect(changedPaths(before, await snapshot(guarded(), { keepContent: false }))).toEqual([]);
    return changed.map((path) => path.slice(gitDir.length + 1));
  }

  it("sees a mode change alone (a sample hook made executable) and puts the mode back", async () => {
    const sample = join(gitDir, "hooks", "pre-commit.sample");
    await chmod(sample, 0o644);
    expect(await tamperAndRestore(() => chmod(sample, 0o755))).toEqual(["hooks/pre-commit.sample"]);
    expect((await stat(sample)).mode & 0o777).toBe(0o644);
  });

  it("puts the hooks directory back when a link replaced it, writing nothing where the link pointed", async () => {
    const elsewhere = join(dir.path, "elsewhere");
    await mkdir(elsewhere);
    const hooksBefore = (await readdir(join(gitDir, "hooks"))).sort();
    const changed = await tamperAndRestore(async () => {
      await rm(join(gitDir, "hooks"), { recursive: true });
      await symlink(elsewhere, join(gitDir, "hooks"));
    });
    expect(changed).toContain("hooks");
    expect((await readdir(join(gitDir, "hooks"))).sort()).toEqual(hooksBefore);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it("never opens a FIFO planted among the hooks (a read would block), and removes it", async () => {
    await run("mkfifo", [join(gitDir, "hooks", "post-checkout")]);
    const before = await snapshot(guarded(), { keepContent: true });
    expect([...before.keys()]).toContain(join(gitDir, "hooks", "post-checkout"));
    await rm(join(gitDir, "hooks", "post-checkout"));
    const changed = await tamperAndRestore(() => run("mkfifo", [join(gitDir, "hooks", "pre-push")]).then(() => undefined));
    expect(changed).toEqual(["hooks/pre-push"]);
  });

  it("puts back a removed file and removes a new directory with everything in it", async () => {
    const exclude = await readFile(join(gitDir, "info", "exclude"), "utf8");
    const changed = await tamperAndRestore(async () => {
      await rm(join(gitDir, "info", "exclude"));
      await mkdir(join(gitDir, "hooks", "sub", "deeper"), { recursive: true });
      await writeFile(join(gitDir, "hooks", "sub", "deeper", "x"), "x");
    });
    expect(changed).toEqual(["hooks/sub", "hooks/sub/deeper", "hooks/sub/deeper/x", "info/exclude"]);
    expect(await readFile(join(gitDir, "info", "exclude"), "utf8")).toBe(exclude);
    expect(await readdir(join(gitDir, "hooks"))).not.toContain("sub");
  });
});
