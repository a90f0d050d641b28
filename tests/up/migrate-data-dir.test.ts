import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { excludeDataDir } from "../../cli/exclude-data-dir.js";
import { migrateLegacyDataDir } from "../../cli/migrate-data-dir.js";
import { silentLogger } from "../../shared/log.js";
import { openStore } from "../../services/control-plane/store/open-store.js";
import { git, initRepo } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { DEFAULT_OPTIONS } from "../store/harness.js";

describe("moving an older <repo>/.pushpals data dir out of the repository", () => {
  let dir: TempDir;
  let repo: string;
  beforeEach(async () => {
    dir = await tempDir("pushpals-migrate-");
    repo = join(dir.path, "repo");
    await mkdir(repo);
    await initRepo(repo, { "README.md": "# r\n", ".pushpals/environment.toml": 'setup = ["npm ci"]\n' });
  });
  afterEach(() => dir.remove());

  const legacy = () => join(repo, ".pushpals");

  it("keeps the database (sessions and events still readable), removes the old worktrees and exclude line, leaves the person's files", async () => {
    const old = await openStore({ ...DEFAULT_OPTIONS, databaseUrl: "", dataDir: legacy() });
    const { session } = (await old.createSession({ title: "before the move" })).value;
    await excludeDataDir(repo, legacy());
    await git(repo, "worktree", "add", "-q", "--detach", join(legacy(), "worktrees", "w1", "job_left"), "main");
    await git(repo, "worktree", "add", "-q", "-b", "main_agents", join(legacy(), "integration"), "main");
    const dataDir = join(dir.path, "state", "pushpals", "repo-1234abcd");

    // A PushPals still running on the old database: nothing moves, and the message says why.
    await expect(migrateLegacyDataDir({ repo, dataDir, logger: silentLogger })).rejects.toThrow(/database is locked|in use/);
    expect(existsSync(join(legacy(), "pushpals.db"))).toBe(true);
    const before = await old.listEvents({ sessionId: session.id, afterSeq: 0n, limit: 100 });
    await old.close();

    expect(await migrateLegacyDataDir({ repo, dataDir, logger: silentLogger })).toEqual({ kind: "moved", from: join(legacy(), "pushpals.db"), to: join(dataDir, "pushpals.db") });
    expect(existsSync(join(legacy(), "pushpals.db"))).toBe(false);
    const moved = await openStore({ ...DEFAULT_OPTIONS, databaseUrl: "", dataDir });
    try {
      expect((await moved.getSession(session.id))?.title).toBe("before the move");
      const after = await moved.listEvents({ sessionId: session.id, afterSeq: 0n, limit: 100 });
      expect(after.length).toBeGreaterThan(0);
      expect(after.map((e) => e.seq)).toEqual(before.map((e) => e.seq));
    } finally {
      await moved.close();
    }
    // The person's committed file stays; PushPals' own leftovers are gone, from disk and from git.
    expect(await readFile(join(legacy(), "environment.toml"), "utf8")).toContain("npm ci");
    expect(existsSync(join(legacy(), "worktrees"))).toBe(false);
    expect(existsSync(join(legacy(), "integration"))).toBe(false);
    expect(await git(repo, "worktree", "list", "--porcelain")).not.toContain(legacy());
    expect(await readFile(join(repo, ".git", "info", "exclude"), "utf8")).not.toContain("/.pushpals/");
    expect(await git(repo, "status", "--porcelain")).toBe("");
    // Once: a second start finds nothing to move.
    expect(await migrateLegacyDataDir({ repo, dataDir, logger: silentLogger })).toEqual({ kind: "none" });
  });

  it("never overwrites a database already in the new place: both stay, the new one is used", async () => {
    const old = await openStore({ ...DEFAULT_OPTIONS, databaseUrl: "", dataDir: legacy() });
    await old.close();
    const dataDir = join(dir.path, "state");
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, "pushpals.db"), "");
    expect((await migrateLegacyDataDir({ repo, dataDir, logger: silentLogger })).kind).toBe("both");
    expect(existsSync(join(legacy(), "pushpals.db"))).toBe(true);
  });
});
