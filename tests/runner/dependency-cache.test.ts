import { mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/log.js";
import { dependencyCache } from "../../services/runner/environment/dependency-cache.js";
import { tempDir, type TempDir } from "../support/tmp.js";

describe("the dependency cache", () => {
  let dir: TempDir | undefined;
  afterEach(async () => {
    await dir?.remove();
    dir = undefined;
  });

  async function jobTree(name: string, files: Record<string, string>): Promise<string> {
    const worktree = join(dir!.path, name);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(worktree, path, ".."), { recursive: true });
      await writeFile(join(worktree, path), content);
    }
    await mkdir(worktree, { recursive: true });
    return worktree;
  }

  it("restores what setup left into the next job's worktree, home paths included, and a copy the first job changes afterwards stays as saved", async () => {
    dir = await tempDir("pushpals-env-cache-");
    const cache = dependencyCache(join(dir.path, "environments"), silentLogger);
    const first = await jobTree("job-1", { "node_modules/dep/index.js": "module.exports = 1;\n", ".pushpals-home/.cache/pip/wheel": "w" });
    const saved = await cache.save("k1", first, ["node_modules", "~/.cache/pip", "missing-dir"]);
    expect(saved.files).toBe(2);
    await writeFile(join(first, "node_modules/dep/index.js"), "changed by job 1 after setup\n");

    const second = await jobTree("job-2", {});
    const restored = await cache.restore("k1", second, ["node_modules", "~/.cache/pip", "missing-dir"]);
    expect(restored).toMatchObject({ paths: ["node_modules", "~/.cache/pip"], files: 2 });
    expect(await readFile(join(second, "node_modules/dep/index.js"), "utf8")).toBe("module.exports = 1;\n");
    expect(await readFile(join(second, ".pushpals-home/.cache/pip/wheel"), "utf8")).toBe("w");
    // Other cache paths, another key: no entry.
    expect(await cache.restore("k1", second, ["node_modules"])).toBeUndefined();
    expect(await cache.restore("k2", second, ["node_modules", "~/.cache/pip", "missing-dir"])).toBeUndefined();
    await cache.close();
  });

  it("moves a copy linked ahead into the next job's worktree, and links the one after in the background", async () => {
    dir = await tempDir("pushpals-env-cache-");
    const cache = dependencyCache(join(dir.path, "environments"), silentLogger);
    const first = await jobTree("job-1", { "node_modules/dep/index.js": "one\n", "node_modules/dep/package.json": "{}\n" });
    await cache.save("k1", first, ["node_modules"]);
    await cache.close(); // the copy for the next job is ready
    const second = await jobTree("job-2", {});
    expect(await cache.restore("k1", second, ["node_modules"])).toMatchObject({ prepared: true, files: 2 });
    expect(await readFile(join(second, "node_modules/dep/index.js"), "utf8")).toBe("one\n");
    await cache.close();
    const third = await jobTree("job-3", {});
    expect(await cache.restore("k1", third, ["node_modules"])).toMatchObject({ prepared: true, files: 2 });
    // Without a ready copy (taken, the next one not made yet), the restore links its own.
    const fourth = await jobTree("job-4", {});
    const fifth = await jobTree("job-5", {});
    await cache.close();
    const both = await Promise.all([cache.restore("k1", fourth, ["node_modules"]), cache.restore("k1", fifth, ["node_modules"])]);
    expect(both.map((restored) => restored?.prepared).sort()).toEqual([false, true]);
    expect(await readFile(join(fifth, "node_modules/dep/index.js"), "utf8")).toBe("one\n");
    expect(await readFile(join(fourth, "node_modules/dep/index.js"), "utf8")).toBe("one\n");
    await cache.close();
  });

  it("drops an entry a job spoiled by writing into a linked file in place, so the next job runs setup", async () => {
    dir = await tempDir("pushpals-env-cache-");
    const cache = dependencyCache(join(dir.path, "environments"), silentLogger);
    const first = await jobTree("job-1", { "node_modules/dep/index.js": "module.exports = 1;\n" });
    await cache.save("k1", first, ["node_modules"]);
    const second = await jobTree("job-2", {});
    const restored = await cache.restore("k1", second, ["node_modules"]);
    if (restored?.method !== "hardlink") return; // a reflinked copy is the job's own: nothing to spoil
    const linked = join(second, "node_modules/dep/index.js");
    expect((await stat(linked)).nlink).toBeGreaterThan(1);
    await writeFile(linked, "poisoned in place\n"); // O_TRUNC on the shared inode
    const third = await jobTree("job-3", {});
    expect(await cache.restore("k1", third, ["node_modules"])).toBeUndefined();
    await cache.close();
    await expect(stat(join(dir.path, "environments", "k1"))).rejects.toThrow(/ENOENT/);
  });

  it("refuses a cache path whose parent a setup command turned into a symlink out of the worktree", async () => {
    dir = await tempDir("pushpals-env-cache-");
    const cache = dependencyCache(join(dir.path, "environments"), silentLogger);
    const outside = await jobTree("outside", { "vendor/secret": "host file" });
    const first = await jobTree("job-1", {});
    await symlink(outside, join(first, "deps"));
    await expect(cache.save("k1", first, ["deps/vendor"])).rejects.toThrow(/leads out of the worktree/);
  });
});
