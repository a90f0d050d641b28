import { describe, expect, it } from "vitest";
import { parseScopedConfig, repositoryOverrides, type ConfigEntry } from "../../shared/git/repository-programs.js";

const entry = (scope: string, key: string, value: string | null = "x"): ConfigEntry => ({ scope, key, value });

describe("what a call overrides of the repository's own program keys", () => {
  it("parses git config -z --show-scope output, keys without a value included", () => {
    expect(parseScopedConfig("local\0filter.Evil.clean\ntouch x; cat\0global\0core.sshcommand\0")).toEqual([
      entry("local", "filter.Evil.clean", "touch x; cat"),
      entry("global", "core.sshcommand", null),
    ]);
  });

  it("leaves a repository that defines none of them alone, whatever the operator's config holds", () => {
    expect(repositoryOverrides([entry("global", "filter.lfs.clean"), entry("system", "credential.helper")])).toEqual({
      config: [],
      env: {},
      uploadPack: false,
      receivePack: false,
    });
  });

  it("gives each repository-defined key the operator's value, else an inert one, and unrequires a filter left without programs", () => {
    const overrides = repositoryOverrides([
      entry("global", "filter.lfs.clean", "git-lfs clean -- %f"),
      entry("local", "filter.lfs.clean", "evil"),
      entry("local", "filter.Evil.smudge", "evil"),
      entry("worktree", "merge.evil.driver", "evil"),
      entry("local", "diff.evil.textconv", "evil"),
      entry("local", "core.sshcommand", "evil"),
      entry("local", "gpg.ssh.program", "evil"),
    ]);
    expect(overrides.config).toEqual([
      ["filter.lfs.clean", "git-lfs clean -- %f"],
      ["filter.Evil.smudge", ""],
      ["merge.evil.driver", "git merge-file --marker-size=%L %A %O %B"],
      ["diff.evil.textconv", ""],
      ["core.sshcommand", "ssh"],
      ["gpg.ssh.program", ""],
      ["filter.Evil.required", "false"],
    ]);
  });

  it("clears the credential helper list and adds the operator's helpers back in order", () => {
    const overrides = repositoryOverrides([
      entry("system", "credential.https://source.example.helper", "gcloud.sh"),
      entry("global", "credential.helper", "cache"),
      entry("local", "credential.helper", "!evil"),
    ]);
    expect(overrides.config).toEqual([
      ["credential.helper", ""],
      ["credential.https://source.example.helper", "gcloud.sh"],
      ["credential.helper", "cache"],
    ]);
  });

  it("beats first-wins keys with the environment and command options instead", () => {
    const overrides = repositoryOverrides([
      entry("local", "core.gitproxy", "evil"),
      entry("local", "remote.origin.uploadpack", "evil"),
      entry("global", "remote.mirror.receivepack", "ok"),
      entry("local", "remote.mirror.receivepack", "evil"),
    ]);
    expect(overrides).toMatchObject({ env: { GIT_PROXY_COMMAND: "" }, uploadPack: true, receivePack: false });
  });
});
