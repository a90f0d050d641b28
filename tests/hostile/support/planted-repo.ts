import { chmod, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { git } from "../../support/git.js";

/**
 * What a job without isolation can plant in the person's repository so that the next git on
 * the host runs its program: every setting and hook git-config(1) and githooks(5) name that
 * makes git start a program, each pointing at a script that leaves a marker file named after
 * what ran it (and what it ran with in `<name>.env`). A test drives PushPals' real git paths
 * over the repository and then asks `ran()`, which must be empty.
 */
export interface PlantedRepo {
  /** Names of the markers written so far (e.g. "fsmonitor", "hook-pre-commit", "filter-clean"). */
  ran(): Promise<string[]>;
  /** The command line of a program that leaves the marker `name` (and then runs `then`, if given). */
  program(name: string, then?: string): string;
  /** A script of its own that leaves the marker `name`, for keys git runs without a shell (askpass, gpg, proxy). */
  executable(name: string, then?: string): Promise<string>;
  /** Forgets the markers so far (what the test's own setup git left). */
  reset(): Promise<void>;
}

export const HOOKS = [
  "pre-commit",
  "prepare-commit-msg",
  "commit-msg",
  "post-commit",
  "post-checkout",
  "post-merge",
  "post-rewrite",
  "pre-push",
  "reference-transaction",
  "post-index-change",
  "pre-auto-gc",
  "pre-merge-commit",
];

const isKitFile = (name: string) => name === "leave-marker.sh" || name.startsWith("bin-");

/** Writes the marker script into `markerDir` (outside the repository, so no scan of it sees one). */
export async function markerKit(markerDir: string): Promise<PlantedRepo> {
  await mkdir(markerDir, { recursive: true });
  const script = join(markerDir, "leave-marker.sh");
  await writeFile(script, `#!/bin/sh\nenv > "${markerDir}/$1.env"\ntouch "${markerDir}/$1"\n`);
  await chmod(script, 0o755);
  return {
    async ran() {
      return (await readdir(markerDir)).filter((name) => !isKitFile(name) && !name.endsWith(".env")).sort();
    },
    program: (name, then) => `${script} ${name}${then ? `; ${then}` : ""}`,
    async executable(name, then) {
      const path = join(markerDir, `bin-${name}`);
      await writeFile(
        path,
        `#!/bin/sh
${script} ${name}
${then ?? ""}
`,
        { mode: 0o755 },
      );
      return path;
    },
    async reset() {
      for (const name of await readdir(markerDir)) if (!isKitFile(name)) await rm(join(markerDir, name), { force: true });
    },
  };
}

/**
 * Plants every program-running setting in `repo`'s own .git/config (the local scope), its
 * info/attributes and its hooks. `gitDir` is the common git directory (<repo>/.git).
 */
export async function plantHostileGit(repo: string, kit: PlantedRepo): Promise<void> {
  const gitDir = join(repo, ".git");
  const p = kit.program;
  const settings: Array<[string, string]> = [
    ["core.fsmonitor", p("fsmonitor")],
    ["core.hooksPath", join(gitDir, "hooks")],
    ["filter.evil.clean", p("filter-clean", "cat")],
    ["filter.evil.smudge", p("filter-smudge", "cat")],
    ["filter.evil.process", p("filter-process", "exit 1")],
    ["filter.evil.required", "true"],
    ["diff.evil.textconv", p("diff-textconv", "cat")],
    ["diff.evil.command", p("diff-command")],
    ["diff.external", p("diff-external")],
    ["merge.evil.driver", p("merge-driver", "exit 1")],
    ["core.sshCommand", p("ssh-command", "exit 1")],
    ["core.gitProxy", await kit.executable("git-proxy", "exit 1")],
    ["core.askPass", await kit.executable("askpass", "echo nope")],
    ["credential.helper", `!${p("credential-helper")}`],
    ["credential.http://127.0.0.1.helper", `!${p("credential-url-helper")}`],
    ["core.pager", p("pager", "cat")],
    ["core.editor", p("editor")],
    ["sequence.editor", p("sequence-editor")],
    ["gpg.program", await kit.executable("gpg", "exit 1")],
    ["gpg.ssh.program", await kit.executable("gpg-ssh", "exit 1")],
    ["commit.gpgSign", "true"],
    ["tag.gpgSign", "true"],
    ["log.showSignature", "true"],
    ["merge.verifySignatures", "true"],
    ["core.alternateRefsCommand", p("alternate-refs", "true")],
    ["remote.origin.uploadpack", p("upload-pack", "git-upload-pack")],
    ["remote.origin.receivepack", p("receive-pack", "git-receive-pack")],
    ["protocol.ext.allow", "always"],
    ["protocol.allow", "always"],
  ];
  for (const [key, value] of settings) await git(repo, "config", "--add", key, value);
  await mkdir(join(gitDir, "info"), { recursive: true });
  await writeFile(join(gitDir, "info", "attributes"), "* filter=evil diff=evil merge=evil\n");
  await mkdir(join(gitDir, "hooks"), { recursive: true });
  for (const hook of HOOKS) {
    const path = join(gitDir, "hooks", hook);
    await writeFile(path, `#!/bin/sh\n${p(`hook-${hook}`)}\ncat > /dev/null 2>&1 || true\nexit 0\n`);
    await chmod(path, 0o755);
  }
}

/** Plants the same drivers in a linked worktree's own config (extensions.worktreeConfig): git's "worktree" scope. */
export async function plantInWorktreeConfig(repo: string, worktreeGitDir: string, kit: PlantedRepo): Promise<void> {
  await git(repo, "config", "extensions.worktreeConfig", "true");
  const lines = [
    "[core]",
    `\tfsmonitor = ${kit.program("worktree-fsmonitor")}`,
    '[filter "wt"]',
    `\tclean = ${kit.program("worktree-filter-clean", "cat")}`,
    `\tsmudge = ${kit.program("worktree-filter-smudge", "cat")}`,
    "\trequired = true",
  ];
  await writeFile(join(worktreeGitDir, "config.worktree"), `${lines.join("\n")}\n`);
  await writeFile(join(repo, ".git", "info", "attributes"), "* filter=wt diff=evil merge=evil\n");
}
