import { chmod, mkdir, stat, symlink } from "node:fs/promises";
import { userInfo } from "node:os";
import { join, sep } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { settingsFromConfig, worktreePath } from "../../services/integration/settings.js";
import { defaultDataDir, hasDotSegment, repoKey } from "../../shared/config/data-dir.js";
import { loadConfig } from "../../shared/config/load.js";
import { ensureWorkDir } from "../../shared/config/work-dir.js";
import { jobWorktree, workerWorktrees } from "../../services/runner/workspace/paths.js";
import { tempDir, type TempDir } from "../support/tmp.js";

const dotSegments = (path: string) => path.split(sep).filter((segment) => segment.startsWith("."));

describe("the data dir and the work dir", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await tempDir("pushpals-data-dir-");
  });
  afterEach(() => dir.remove());

  it("defaults to the XDG state dir outside the repository, and keeps every worktree path free of dot directories", () => {
    const repo = join(dir.path, "project");
    const home = join(dir.path, "home");
    const config = loadConfig({ env: { HOME: home }, cwd: repo });
    expect(config.storage.dataDir).toBe(join(home, ".local", "state", "pushpals", repoKey(repo)));
    expect(config.storage.dataDir.startsWith(repo)).toBe(false);
    expect(repoKey(repo)).toMatch(/^project-[0-9a-f]{8}$/);
    // ~/.local is a dot directory: worktrees go elsewhere, so no path a job or integration works in has one.
    expect(config.storage.workDir).toBe(join("/var/tmp", `pushpals-${userInfo().uid}`, repoKey(repo)));
    const paths = [
      config.storage.workDir,
      workerWorktrees(config.storage.workDir, "host-1"),
      jobWorktree(config.storage.workDir, "host-1", "job_01HZX"),
      join(workerWorktrees(config.storage.workDir, "host-1"), "spare-0a1b2c3d4e5f"),
      worktreePath(settingsFromConfig(config)),
    ];
    for (const path of paths) expect(dotSegments(path), path).toEqual([]);
  });

  it("uses $XDG_STATE_HOME when it is absolute, worktrees inside the data dir then; PUSHPALS_DATA_DIR and PUSHPALS_WORK_DIR win", () => {
    const repo = join(dir.path, "project");
    const state = join(dir.path, "state");
    const xdg = loadConfig({ env: { HOME: "/nowhere", XDG_STATE_HOME: state }, cwd: repo });
    expect(xdg.storage.dataDir).toBe(join(state, "pushpals", repoKey(repo)));
    expect(xdg.storage.workDir).toBe(xdg.storage.dataDir);
    // The XDG spec says a relative XDG_STATE_HOME is ignored.
    expect(loadConfig({ env: { HOME: "/h", XDG_STATE_HOME: "rel/state" }, cwd: repo }).storage.dataDir).toBe(join("/h", ".local", "state", "pushpals", repoKey(repo)));
    const set = loadConfig({ env: { XDG_STATE_HOME: state, PUSHPALS_DATA_DIR: "data", PUSHPALS_WORK_DIR: "/srv/work" }, cwd: repo });
    expect(set.storage).toMatchObject({ dataDir: join(repo, "data"), workDir: "/srv/work" });
  });

  it("tells two checkouts of one name apart, and never makes a dot directory of a repository's name", () => {
    expect(repoKey("/a/app")).not.toBe(repoKey("/b/app"));
    expect(repoKey("/a/.dotfiles")).toMatch(/^dotfiles-[0-9a-f]{8}$/);
    expect(repoKey("/a/my repo")).toMatch(/^my-repo-/);
    expect(hasDotSegment(defaultDataDir("/a/.dotfiles", { XDG_STATE_HOME: "/srv/state" }))).toBe(false);
  });

  it("makes the private root of a work dir under /var/tmp mode 0700, and refuses one that is not this user's own", async () => {
    const root = join(dir.path, "pushpals-uid");
    await ensureWorkDir(join(root, "project-1234abcd"), root);
    expect((await stat(root)).mode & 0o777).toBe(0o700);
    expect((await stat(join(root, "project-1234abcd"))).isDirectory()).toBe(true);

    const open = join(dir.path, "open-root");
    await mkdir(open, { mode: 0o755 });
    await chmod(open, 0o755);
    await expect(ensureWorkDir(join(open, "x"), open)).rejects.toThrow(/not a private directory .* mode 755.*PUSHPALS_WORK_DIR/);
    const planted = join(dir.path, "planted-root");
    await symlink(open, planted);
    await expect(ensureWorkDir(join(planted, "x"), planted)).rejects.toThrow(/a symlink owned by uid/);
  });
});
