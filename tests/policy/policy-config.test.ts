import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../shared/config/load.js";
import { packageRoot } from "../../shared/paths.js";
import { changePolicy } from "../../shared/policy/index.js";
import { tempDir, type TempDir } from "../support/tmp.js";

describe("the [policy] section", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await tempDir("pushpals-policy-config-");
  });
  afterEach(() => dir.remove());

  /** The shipped default.toml, as in production, under the test's local.toml. */
  const load = async (toml: string, env: Record<string, string> = {}) => {
    await copyFile(join(packageRoot(), "configs", "default.toml"), join(dir.path, "default.toml"));
    await writeFile(join(dir.path, "local.toml"), toml);
    return loadConfig({ configDir: dir.path, env, cwd: dir.path });
  };

  it("extra_forbidden_globs adds to the defaults without restating them", async () => {
    const config = await load('[policy]\nextra_forbidden_globs = ["deploy/**", "**/*.pem"]\n');
    expect(changePolicy(config.policy).forbiddenGlobs).toEqual([
      "**/.git",
      "**/.git/**",
      ".github/workflows/**",
      ".gitlab-ci.yml",
      "**/.gitmodules",
      "**/.gitattributes",
      ".pushpals/environment.toml",
      "deploy/**",
      "**/*.pem",
    ]);
  });

  it("forbidden_globs replaces the defaults when the operator restates them", async () => {
    const config = await load('[policy]\nforbidden_globs = ["secrets/**"]\n');
    expect(changePolicy(config.policy).forbiddenGlobs).toEqual(["secrets/**"]);
  });

  it("takes the caps and the symlink mode from the environment", async () => {
    const config = await load("", {
      PUSHPALS_POLICY_SYMLINKS: "none",
      PUSHPALS_POLICY_MAX_FILE_BYTES: "1024",
      PUSHPALS_POLICY_MAX_CHANGE_BYTES: "4096",
      PUSHPALS_POLICY_MAX_CHANGED_FILES: "7",
    });
    expect(config.policy).toMatchObject({ symlinks: "none", maxFileBytes: 1024, maxChangeBytes: 4096, maxChangedFiles: 7 });
  });

  it.each([
    ['[policy]\nsymlinks = "some"\n', /policy\.symlinks = "some" .*"none" \| "inside" \| "any"|policy\.symlinks = "some" .*none.*inside.*any/],
    ['[policy]\nextra_forbidden_globs = ["/etc/**"]\n', /policy\.extraForbiddenGlobs\.0 .*relative to the repository root; drop the leading \//],
    ["[policy]\nmax_file_bytes = 0\n", /policy\.maxFileBytes = 0/],
    ["[policy]\nmax_files = 3\n", /policy\.maxFiles .*unknown key/],
  ])("refuses bad values at start-up, naming the key: %s", async (toml, message) => {
    const error = await load(toml).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });
});
