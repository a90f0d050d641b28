import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { packageRoot } from "../../shared/paths.js";
import { announcedUrl } from "../support/announced-url.js";
import { initRepo } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";

const run = promisify(execFile);
const root = packageRoot();
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

const packResult = z.array(z.object({ filename: z.string(), files: z.array(z.object({ path: z.string() })) })).length(1);
const versionOf = async (dir: string): Promise<string> => z.object({ version: z.string() }).parse(JSON.parse(await readFile(join(dir, "package.json"), "utf8"))).version;

describe("npm pack → install the tarball → pushpals demo", () => {
  let dir: TempDir | undefined;
  afterAll(() => dir?.remove());

  it("installs from the tarball alone, runs the demo to a merged commit, and its up serves the shipped web UI", async () => {
    dir = await tempDir("pushpals-pack-test-");

    // dist/ is already built (`npm test` builds first), so pack skips prepack's second build.
    const packed = await run(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", dir.path], { cwd: root, maxBuffer: 16 << 20 });
    const [tarball] = packResult.parse(JSON.parse(packed.stdout));
    const paths = tarball!.files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(["package.json", "bin/pushpals.js", "dist/cli/main.js", "configs/default.toml", "cli/demo/demo-script.jsonl"]));
    expect(paths.filter((path) => /^(tests|bench|\.ci|gen|node_modules)\//.test(path) || path.endsWith(".ts") || path.endsWith(".map"))).toEqual([]);
    // The built web UI ships; its sources do not.
    expect(paths).toContain("web/dist/index.html");
    expect(paths.filter((path) => /^web\/dist\/assets\/index-[\w-]+\.js$/.test(path))).toHaveLength(1);
    expect(paths.filter((path) => path.startsWith("web/") && !path.startsWith("web/dist/"))).toEqual([]);

    const app = join(dir.path, "app");
    await mkdir(app);
    await writeFile(join(app, "package.json"), JSON.stringify({ name: "pushpals-pack-check", private: true }));
    // From npm's cache where it can, and without install scripts: better-sqlite3's script would
    // look for a prebuilt binary (unreachable here) and then compile SQLite for minutes.
    await run(NPM, ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", join(dir.path, tarball!.filename)], { cwd: app, maxBuffer: 16 << 20 });

    // What that script would have fetched as a prebuilt: this checkout's own build of the same
    // better-sqlite3 version, for the same Node ABI and platform (the test runs on this Node).
    const installed = join(app, "node_modules");
    const sqlite = join(installed, "better-sqlite3");
    expect(await versionOf(sqlite)).toBe(await versionOf(join(root, "node_modules", "better-sqlite3")));
    await mkdir(join(sqlite, "build", "Release"), { recursive: true });
    await copyFile(join(root, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node"), join(sqlite, "build", "Release", "better_sqlite3.node"));

    const bin = join(installed, ".bin", "pushpals");
    const env = { ...process.env, NO_COLOR: "1", PUSHPALS_LOG_LEVEL: "warn" };
    const version = await run(bin, ["--version"], { cwd: app, env });
    expect(version.stdout.trim()).toBe(`pushpals ${await versionOf(root)} (node ${process.version})`);

    // Run from the install, in a directory outside this checkout: nothing may reach back into it.
    const demo = await run(bin, ["demo", "--dir", join(dir.path, "demo")], { cwd: app, env, timeout: 60_000, maxBuffer: 16 << 20 });
    expect(demo.stdout).toMatch(/merged into main_agents, pushed/);
    expect(demo.stdout).toMatch(/demo · done in/);
    const merged = await run("git", ["-C", join(dir.path, "demo", "repo"), "show", "main_agents:src/math.js"]);
    expect(merged.stdout).toContain("return a + b;");

    // `pushpals up` from the install serves the installed package's web UI on its one port.
    const project = join(dir.path, "project");
    await mkdir(project);
    await initRepo(project);
    const up = spawn(bin, ["up", "--port", "0"], { cwd: project, env: { ...env, PUSHPALS_LLM_MODEL: "" }, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const banner: string[] = [];
      const url = await announcedUrl(up, { what: "the installed pushpals up", timeoutMs: 30_000, onLine: (line) => banner.push(line) });
      expect(banner.join("\n")).toContain(`web UI        ${url}/`);
      const page = await fetch(`${url}/chat/ses_reloaded`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<div id="root">');
      const script = /src="(\/assets\/index-[\w-]+\.js)"/.exec(html)?.[1];
      expect((await fetch(`${url}${script}`)).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    } finally {
      up.kill("SIGTERM");
      if (up.exitCode === null) await once(up, "exit");
    }
  }, 150_000);
});
