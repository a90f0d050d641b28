import { spawn } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostGitEnvironment } from "../../shared/git/git-environment.js";
import { runHostGit } from "../../shared/git/host-git.js";
import { startGitHttpServer, type GitHttpServer } from "../integration/support/git-http-server.js";
import { git, initRepo, writeFiles } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { markerKit, type PlantedRepo } from "./support/planted-repo.js";

/**
 * One program-running key (or hook) at a time: planted in a fresh repository's own config,
 * then a command that makes git run it. Plain git runs it (the case can fail); the host git
 * helper must not.
 */
interface Case {
  name: string;
  /** What a job plants; `program(marker)` is a command line that leaves the marker. */
  plant(repo: string, program: PlantedRepo["program"], kit: PlantedRepo): Promise<void>;
  /** Prepares the repository for `command` (before planting, so plain git runs it). */
  prepare?(repo: string): Promise<void>;
  command(repo: string): string[];
  marker: string;
}

async function set(repo: string, pairs: Array<[string, string]>): Promise<void> {
  for (const [key, value] of pairs) await git(repo, "config", "--add", key, value);
}
const hook = async (repo: string, name: string, program: string) => {
  const path = join(repo, ".git", "hooks", name);
  await writeFile(path, `#!/bin/sh\n${program}\nexit 0\n`);
  await chmod(path, 0o755);
};
const attributes = (repo: string, line: string) => writeFile(join(repo, ".git", "info", "attributes"), `${line}\n`);

let server: GitHttpServer;
let root: TempDir;

const CASES: Case[] = [
  { name: "core.fsmonitor on status", marker: "fsmonitor", plant: (r, p) => set(r, [["core.fsmonitor", p("fsmonitor")]]), command: () => ["status", "--porcelain"] },
  {
    name: "pre-commit, commit-msg and post-commit hooks",
    marker: "pre-commit",
    prepare: (r) =>
      writeFiles(r, { "new.txt": "n\n" })
        .then(() => git(r, "add", "new.txt"))
        .then(() => undefined),
    plant: async (r, p) => {
      for (const name of ["pre-commit", "commit-msg", "post-commit"]) await hook(r, name, p("pre-commit"));
    },
    command: () => ["commit", "-q", "-m", "x"],
  },
  { name: "post-checkout hook", marker: "post-checkout", plant: (r, p) => hook(r, "post-checkout", p("post-checkout")), command: () => ["checkout", "-q", "-b", "other"] },
  {
    name: "reference-transaction hook, in a planted core.hooksPath",
    marker: "reference-transaction",
    plant: async (r, p) => {
      await mkdir(join(r, "planted-hooks"));
      await writeFile(join(r, "planted-hooks", "reference-transaction"), `#!/bin/sh\n${p("reference-transaction")}\n`, { mode: 0o755 });
      await set(r, [["core.hooksPath", join(r, "planted-hooks")]]);
    },
    command: () => ["update-ref", "refs/heads/x", "HEAD"],
  },
  {
    name: "filter clean on add",
    marker: "clean",
    prepare: (r) => writeFiles(r, { "new.txt": "n\n" }),
    plant: (r, p) =>
      set(r, [
        ["filter.evil.clean", p("clean", "cat")],
        ["filter.evil.required", "true"],
      ]).then(() => attributes(r, "* filter=evil")),
    command: () => ["add", "new.txt"],
  },
  {
    name: "filter smudge on checkout",
    marker: "smudge",
    prepare: (r) =>
      git(r, "rm", "-q", "--cached", "README.md")
        .then(() => git(r, "commit", "-qm", "rm"))
        .then(() => undefined),
    plant: (r, p) => set(r, [["filter.evil.smudge", p("smudge", "cat")]]).then(() => attributes(r, "* filter=evil")),
    command: () => ["checkout", "-q", "--force", "HEAD~1"],
  },
  {
    name: "filter process on add",
    marker: "process",
    prepare: (r) => writeFiles(r, { "new.txt": "n\n" }),
    plant: (r, p) => set(r, [["filter.evil.process", p("process", "exit 1")]]).then(() => attributes(r, "* filter=evil")),
    command: () => ["add", "new.txt"],
  },
  {
    name: "diff textconv",
    marker: "textconv",
    prepare: (r) => writeFiles(r, { "README.md": "changed\n" }),
    plant: (r, p) => set(r, [["diff.evil.textconv", p("textconv", "cat")]]).then(() => attributes(r, "* diff=evil")),
    command: () => ["diff"],
  },
  {
    name: "diff driver command",
    marker: "diff-command",
    prepare: (r) => writeFiles(r, { "README.md": "changed\n" }),
    plant: (r, p) => set(r, [["diff.evil.command", p("diff-command")]]).then(() => attributes(r, "* diff=evil")),
    command: () => ["diff"],
  },
  {
    name: "diff.external",
    marker: "diff-external",
    prepare: (r) => writeFiles(r, { "README.md": "changed\n" }),
    plant: (r, p) => set(r, [["diff.external", p("diff-external")]]),
    command: () => ["diff"],
  },
  {
    name: "merge driver on a cherry-pick that merges a file both sides changed",
    marker: "merge-driver",
    prepare: async (r) => {
      await writeFiles(r, { "README.md": "1\n2\n3\n4\n5\n" });
      await git(r, "commit", "-qam", "five lines");
      await git(r, "checkout", "-qb", "side");
      await writeFiles(r, { "README.md": "one\n2\n3\n4\n5\n" });
      await git(r, "commit", "-qam", "side");
      await git(r, "checkout", "-q", "main");
      await writeFiles(r, { "README.md": "1\n2\n3\n4\nfive\n" });
      await git(r, "commit", "-qam", "main");
    },
    plant: (r, p) => set(r, [["merge.evil.driver", p("merge-driver", "exit 1")]]).then(() => attributes(r, "* merge=evil")),
    command: () => ["cherry-pick", "side"],
  },
  { name: "core.sshCommand", marker: "ssh", plant: (r, p) => set(r, [["core.sshCommand", p("ssh", "exit 1")]]), command: () => ["ls-remote", "ssh://127.0.0.1:9/x.git"] },
  {
    name: "core.gitProxy",
    marker: "proxy",
    plant: async (r, _, kit) => set(r, [["core.gitProxy", await kit.executable("proxy", "exit 1")]]),
    command: () => ["ls-remote", "git://127.0.0.1:9/x.git"],
  },
  {
    name: "core.askPass",
    marker: "askpass",
    plant: async (r, _, kit) => set(r, [["core.askPass", await kit.executable("askpass", "echo guess")]]),
    command: () => ["ls-remote", `${server.url}/remote.git`],
  },
  { name: "credential.helper", marker: "helper", plant: (r, p) => set(r, [["credential.helper", `!${p("helper")}`]]), command: () => ["ls-remote", `${server.url}/remote.git`] },
  {
    name: "a URL-scoped credential helper",
    marker: "url-helper",
    plant: (r, p) => set(r, [[`credential.${server.url}.helper`, `!${p("url-helper")}`]]),
    command: () => ["ls-remote", `${server.url}/remote.git`],
  },
  {
    name: "gpg.program with commit.gpgSign",
    marker: "gpg",
    plant: async (r, _, kit) =>
      set(r, [
        ["gpg.program", await kit.executable("gpg", "exit 1")],
        ["commit.gpgSign", "true"],
      ]),
    command: () => ["commit", "-q", "--allow-empty", "-m", "signed"],
  },
  {
    name: "remote.<name>.uploadpack on fetch and ls-remote",
    marker: "upload-pack",
    plant: (r, p) => set(r, [["remote.origin.uploadpack", p("upload-pack", "git-upload-pack")]]),
    command: () => ["ls-remote", "origin"],
  },
  {
    name: "remote.<name>.receivepack on push",
    marker: "receive-pack",
    plant: (r, p) => set(r, [["remote.origin.receivepack", p("receive-pack", "git-receive-pack")]]),
    command: () => ["push", "-q", "origin", "HEAD:refs/heads/pushed"],
  },
  {
    name: "core.alternateRefsCommand on fetch",
    marker: "alternate-refs",
    prepare: async (r) => {
      await writeFile(join(r, ".git", "objects", "info", "alternates"), `${join(r, "..", "remote.git", "objects")}\n`);
      await git(join(r, ".."), "--git-dir=remote.git", "update-ref", "refs/heads/extra", await git(r, "rev-parse", "HEAD"));
    },
    plant: (r, p) => set(r, [["core.alternateRefsCommand", p("alternate-refs", "true")]]),
    command: () => ["fetch", "-q", "origin"],
  },
  {
    name: "an ext:: URL, with the repository allowing the ext transport",
    marker: "ext",
    plant: (r) =>
      set(r, [
        ["protocol.ext.allow", "always"],
        ["protocol.allow", "always"],
      ]),
    command: (r) => ["ls-remote", `ext::${join(r, "..", "markers", "leave-marker.sh")} ext`],
  },
  { name: "core.editor", marker: "editor", plant: (r, p) => set(r, [["core.editor", p("editor")]]), command: () => ["commit", "--allow-empty"] },
  { name: "sequence.editor", marker: "sequence-editor", plant: (r, p) => set(r, [["sequence.editor", p("sequence-editor")]]), command: () => ["rebase", "-q", "-i", "--root"] },
];

/** Plain git, as a person (or PushPals before this change) runs it: exit code only. */
function plainGit(cwd: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("git", args, { cwd, stdio: ["ignore", "ignore", "ignore"], env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
    child.once("close", (code) => resolve(code ?? 1));
  });
}

describe("each program a repository's config or hooks name", () => {
  beforeAll(async () => {
    root = await tempDir("pushpals-host-git-keys-");
    server = await startGitHttpServer(root.path, "x-access-token", "tok_keys_secret_0123456789");
  });
  afterAll(async () => {
    await server.close();
    await root.remove();
  });

  let count = 0;
  async function plantedRepo(testCase: Case): Promise<{ repo: string; kit: PlantedRepo }> {
    const dir = join(root.path, `case-${++count}`);
    const repo = join(dir, "repo");
    await mkdir(repo, { recursive: true });
    await initRepo(repo, { "README.md": "# scratch\n" });
    await git(dir, "init", "-q", "--bare", "-b", "main", "remote.git");
    await git(repo, "remote", "add", "origin", join(dir, "remote.git"));
    await git(repo, "push", "-q", "origin", "main");
    await mkdir(join(repo, ".git", "info"), { recursive: true });
    const kit = await markerKit(join(dir, "markers"));
    await testCase.prepare?.(repo);
    await testCase.plant(repo, kit.program, kit);
    return { repo, kit };
  }

  for (const testCase of CASES) {
    it(`${testCase.name}: plain git runs it, host git does not`, async () => {
      const plain = await plantedRepo(testCase);
      await plainGit(plain.repo, testCase.command(plain.repo));
      expect(await plain.kit.ran(), "the planted program must be one plain git runs").toContain(testCase.marker);

      const host = await plantedRepo(testCase);
      await runHostGit(testCase.command(host.repo), { cwd: host.repo }).catch(() => undefined);
      expect(await host.kit.ran()).toEqual([]);
    });
  }
});

describe("the environment host git gets", () => {
  it("holds none of the process's secrets and none of its git state", () => {
    const env = hostGitEnvironment(
      { PUSHPALS_GIT_TOKEN: "added-by-the-call" },
      {
        PATH: "/usr/bin",
        HOME: "/home/x",
        SSH_AUTH_SOCK: "/tmp/agent.sock",
        https_proxy: "http://user:proxy-pass@proxy:3128",
        GIT_SSH_COMMAND: "ssh -i key",
        GIT_DIR: "/elsewhere/.git",
        GIT_INDEX_FILE: "/elsewhere/index",
        GIT_CONFIG_PARAMETERS: "'core.fsmonitor'='x'",
        GIT_CONFIG_COUNT: "1",
        GIT_CONFIG_KEY_0: "core.fsmonitor",
        GIT_ASKPASS: "/elsewhere/askpass",
        GIT_EXTERNAL_DIFF: "/elsewhere/diff",
        GIT_AUTHOR_NAME: "someone",
        GITHUB_TOKEN: "t1",
        PUSHPALS_AUTH_TOKEN: "t2",
        PUSHPALS_LLM_API_KEY: "t3",
        OPENAI_API_KEY: "t4",
        DB_PASSWORD: "t5",
        PUSHPALS_NATS_URL: "nats://u:t6@127.0.0.1:4222",
        DATABASE_URL: "postgres://u:t7@127.0.0.1/db",
        LANGUAGE: "de",
      },
    );
    expect(env).toEqual({
      PATH: "/usr/bin",
      HOME: "/home/x",
      SSH_AUTH_SOCK: "/tmp/agent.sock",
      https_proxy: "http://user:proxy-pass@proxy:3128",
      GIT_SSH_COMMAND: "ssh -i key",
      GIT_PAGER: "cat",
      GIT_EDITOR: "false",
      GIT_SEQUENCE_EDITOR: "false",
      GIT_TERMINAL_PROMPT: "0",
      LC_ALL: "C",
      LANG: "C",
      PUSHPALS_GIT_TOKEN: "added-by-the-call",
    });
  });

  it("is what a program git starts sees, and inherited git state does not redirect git", async () => {
    const dir = await tempDir("pushpals-host-git-env-");
    const saved = { ...process.env };
    try {
      await initRepo(dir.path);
      Object.assign(process.env, { GITHUB_TOKEN: "ghp_env_secret", PUSHPALS_AUTH_TOKEN: "auth_env_secret", GIT_DIR: "/nonexistent/.git", GIT_WORK_TREE: "/nonexistent" });
      // An alias the caller itself passes: `!` runs a shell with git's environment.
      const { stdout } = await runHostGit(["-c", "alias.show-env=!env", "show-env"], { cwd: dir.path });
      expect(stdout).not.toContain("ghp_env_secret");
      expect(stdout).not.toContain("auth_env_secret");
      expect(stdout).toMatch(/^GIT_TERMINAL_PROMPT=0$/m);
      expect((await runHostGit(["rev-parse", "--show-toplevel"], { cwd: dir.path })).stdout.trim()).toBe(dir.path);
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      await dir.remove();
    }
  });
});

describe("the operator's own programs", () => {
  it("a filter the operator defines in global config still runs; the repository's redefinition of it does not", async () => {
    const dir = await tempDir("pushpals-host-git-operator-");
    const saved = process.env.GIT_CONFIG_GLOBAL;
    try {
      const repo = join(dir.path, "repo");
      await mkdir(repo);
      await initRepo(repo);
      const kit = await markerKit(join(dir.path, "markers"));
      const globalConfig = join(dir.path, "global.gitconfig");
      await writeFile(globalConfig, `[filter "lfsish"]\n\tclean = ${kit.program("operator-clean", "cat")}\n\trequired = true\n`);
      await git(repo, "config", "filter.lfsish.clean", kit.program("planted-clean", "cat"));
      await attributes(repo, "* filter=lfsish");
      await writeFiles(repo, { "new.txt": "n\n" });
      process.env.GIT_CONFIG_GLOBAL = globalConfig;
      await runHostGit(["add", "new.txt"], { cwd: repo });
      expect(await kit.ran()).toEqual(["operator-clean"]);
    } finally {
      if (saved === undefined) delete process.env.GIT_CONFIG_GLOBAL;
      else process.env.GIT_CONFIG_GLOBAL = saved;
      await dir.remove();
    }
  });
});
