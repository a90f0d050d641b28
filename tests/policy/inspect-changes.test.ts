import { execFile } from "node:child_process";
import { chmod, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChangeEntry } from "../../shared/policy/index.js";
import { createWorktree, inspectChanges, parseStatus, stageChanges, stagedDrift, type JobWorkspace } from "../../services/runner/workspace/index.js";
import { git, initRepo, writeFiles } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";

const sh = promisify(execFile);

/** The runner's front end of the policy: what the worktree holds, read before anything is staged. */
describe("inspecting a job's worktree before staging", () => {
  let dir: TempDir;
  let repo: string;
  let workspace: JobWorkspace;

  beforeEach(async () => {
    dir = await tempDir("pushpals-inspect-");
    repo = join(dir.path, "repo");
    await mkdir(repo);
    await initRepo(repo, { "README.md": "# r\n", "src/a.txt": "a\n", "docs/file": "was a file\n", ".gitignore": "build/\n" });
    workspace = await createWorktree({ repo, dataDir: join(dir.path, "data"), workerId: "w1", jobId: "job_1", baseRef: "main" });
  });
  afterEach(() => dir.remove());

  const inspect = async () => (await inspectChanges(workspace)).sort((a, b) => a.path.localeCompare(b.path));
  const at = (path: string) => join(workspace.path, path);

  it("sees nothing in an untouched worktree, its own .git file included", async () => {
    expect(await inspect()).toEqual([]);
  });

  it("names each added, modified, deleted and executable file with its size, leaving ignored files out", async () => {
    await writeFiles(workspace.path, { "src/a.txt": "a, longer\n", "new dir/odd\nname.txt": "x", "build/out.bin": "ignored" });
    await writeFile(at("run.sh"), "#!/bin/sh\n");
    await chmod(at("run.sh"), 0o755);
    await rm(at("README.md"));
    expect(await inspect()).toEqual([
      { path: "new dir/odd\nname.txt", kind: "regular", size: 1 },
      { path: "README.md", kind: "deleted", size: 0 },
      { path: "run.sh", kind: "executable", size: 10 },
      { path: "src/a.txt", kind: "regular", size: 10 },
    ] satisfies ChangeEntry[]);
  });

  it("reads symlink targets without following them, and never reads through a directory swapped for a link", async () => {
    await symlink("/etc/shadow", at("shadow"));
    await rm(at("src"), { recursive: true });
    await symlink("/etc", at("src")); // /etc/a.txt must not be looked at as src/a.txt
    expect(await inspect()).toEqual([
      { path: "shadow", kind: "symlink", size: 11, linkTarget: "/etc/shadow" },
      { path: "src", kind: "symlink", size: 4, linkTarget: "/etc" },
      { path: "src/a.txt", kind: "deleted", size: 0 },
    ]);
  });

  it("calls a nested repository a gitlink, but a directory that replaced a file just a directory", async () => {
    await mkdir(at("vendor/lib"), { recursive: true });
    await git(at("vendor/lib"), "init", "-q");
    await git(at("vendor/lib"), "commit", "-q", "--allow-empty", "-m", "nested");
    await rm(at("docs/file"));
    await writeFiles(workspace.path, { "docs/file/inside.txt": "now a directory\n" });
    expect(await inspect()).toEqual([
      { path: "docs/file", kind: "deleted", size: 0 },
      { path: "docs/file/inside.txt", kind: "regular", size: 16 },
      { path: "vendor/lib", kind: "gitlink", size: 0 },
    ]);
  });

  it("sees what a command committed or staged itself, a gitlink put in the index included", async () => {
    const gitIn = (...args: string[]) => git(workspace.path, `--git-dir=${workspace.gitDir}`, `--work-tree=${workspace.path}`, ...args);
    await writeFiles(workspace.path, { "committed.txt": "c\n" });
    await gitIn("add", "committed.txt");
    await gitIn("commit", "-q", "-m", "a command's own commit");
    await mkdir(at("sub"));
    await gitIn("update-index", "--add", "--cacheinfo", `160000,${workspace.baseSha},sub`);
    expect(await inspect()).toEqual([
      { path: "committed.txt", kind: "regular", size: 2 },
      { path: "sub", kind: "gitlink", size: 0 },
    ]);
  });

  it("names the worktree's .git when a command replaced it, and a tracked file turned fifo as special (git add would fail on it)", async () => {
    await rm(at(".git"));
    await mkdir(at(".git/hooks"), { recursive: true });
    await writeFile(at(".git/hooks/pre-commit"), "#!/bin/sh\n");
    await rm(at("README.md"));
    await sh("mkfifo", [at("README.md")]);
    expect(await inspect()).toEqual([
      { path: ".git", kind: "deleted", size: 0 },
      { path: "README.md", kind: "special", size: 0 },
    ]);
  });

  it("hashes nothing: a big new file does not reach .git/objects", async () => {
    const objects = async () => (await git(repo, "count-objects", "-v")).match(/^(count|size): \d+$/gm);
    const before = await objects();
    await sh("sh", ["-c", "head -c 2097152 /dev/urandom > big.bin"], { cwd: workspace.path });
    expect(await inspect()).toEqual([{ path: "big.bin", kind: "regular", size: 2097152 }]);
    expect(await objects()).toEqual(before);
  });

  it("reports a staged tree that is not what was inspected", async () => {
    await writeFiles(workspace.path, { "a.txt": "a\n" });
    const inspected = await inspectChanges(workspace);
    expect(stagedDrift(await stageChanges(workspace), inspected)).toBeUndefined();
    await rm(at("a.txt"));
    await symlink("/etc/passwd", at("a.txt"));
    await writeFiles(workspace.path, { "late.txt": "written after the inspection\n" });
    expect(stagedDrift(await stageChanges(workspace), inspected)).toMatch(
      /^the worktree changed while it was being staged: a\.txt \(inspected as regular, staged as symlink\), late\.txt \(not inspected, staged as regular\)\. Nothing was committed/,
    );
  });

  it("parses every kind of status line", () => {
    const listing = [
      "1 .M N... 100644 100644 100644 aaa aaa with space.txt",
      "1 A. S... 000000 160000 160000 000 bbb vendor/lib",
      "2 R. N... 100644 100644 100644 aaa aaa R100 new name",
      "old name",
      "u UU N... 100644 100644 100644 100644 a b c conflicted",
      "? nested/",
      "? plain",
      "",
    ].join("\0");
    expect(parseStatus(listing)).toEqual({ paths: ["with space.txt", "vendor/lib", "new name", "old name", "conflicted", "nested", "plain"], gitlinksInIndex: ["vendor/lib"] });
  });
});
