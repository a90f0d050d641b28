import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompletionPayloadSchema, type CompletionPayload } from "../../gen/pushpals/v1/items_pb.js";
import { openIntegrator, type Integrator } from "../../services/integration/index.js";
import { newId } from "../../shared/ids.js";
import { defaultChangePolicy } from "../../shared/policy/index.js";
import { retryingWorktreeRace } from "../../shared/worktree-race.js";
import { expectKind } from "../integration/support/outcome.js";
import { createScene, history, type Scene } from "../integration/support/scene.js";
import { git } from "../support/git.js";

const sh = promisify(execFile);
const MiB = 1024 * 1024;

/** One commit of a crafted job: a shell script run in the job's worktree, or plumbing that commits by itself. */
type Step = { script: string } | { plumbing: (tree: string, message: string) => Promise<void> };

interface CraftedCase {
  name: string;
  steps: Step[];
  /** Claim the job started after this many steps (a base_sha that is not the base branch's). */
  baseAfter?: number;
  rule: RegExp;
  paths: string[];
}

/** The base tree plus .git/hooks/pre-commit: git's index refuses such a path, so the tree is written by hand. */
const dotGitTree: Step = {
  async plumbing(tree, message) {
    const blob = await gitIn(tree, ["hash-object", "-w", "--stdin"], "#!/bin/sh\ntouch /tmp/pushpals-pwned\n");
    const hooks = await gitIn(tree, ["mktree"], `100644 blob ${blob}\tpre-commit\n`);
    const dotGit = await gitIn(tree, ["mktree"], `040000 tree ${hooks}\thooks\n`);
    const base = await git(tree, "ls-tree", "HEAD");
    const top = await gitIn(tree, ["mktree"], `${base}\n040000 tree ${dotGit}\t.git\n`);
    const commit = await git(tree, "commit-tree", top, "-p", "HEAD", "-m", message);
    await git(tree, "update-ref", "HEAD", commit);
  },
};

const gitlink: Step = {
  async plumbing(tree, message) {
    const head = await git(tree, "rev-parse", "HEAD");
    await git(tree, "update-index", "--add", "--cacheinfo", `160000,${head},vendor/lib`);
    await git(tree, "commit", "-q", "-m", message);
  },
};

const CASES: CraftedCase[] = [
  {
    name: "a GitHub workflow",
    steps: [{ script: "mkdir -p .github/workflows && echo 'on: push' > .github/workflows/ci.yml" }],
    rule: /forbidden_globs/,
    paths: [".github/workflows/ci.yml"],
  },
  { name: "a .gitlab-ci.yml", steps: [{ script: "echo 'job: {script: id}' > .gitlab-ci.yml" }], rule: /forbidden_globs/, paths: [".gitlab-ci.yml"] },
  { name: "a .gitattributes naming a filter", steps: [{ script: "printf '* filter=evil\\n' > .gitattributes" }], rule: /forbidden_globs/, paths: [".gitattributes"] },
  {
    name: "a .gitmodules with an --upload-pack= url",
    steps: [{ script: "printf '[submodule \"x\"]\\n\\tpath = x\\n\\turl = --upload-pack=touch /tmp/pushpals-pwned\\n' > .gitmodules" }],
    rule: /forbidden_globs/,
    paths: [".gitmodules"],
  },
  { name: "a gitlink", steps: [gitlink], rule: /gitlinks/, paths: ["vendor/lib"] },
  { name: "a symlink to /root/.ssh/id_rsa", steps: [{ script: "ln -s /root/.ssh/id_rsa key" }], rule: /symlinks/, paths: ["key -> /root/.ssh/id_rsa"] },
  { name: "a symlink ../../etc/passwd", steps: [{ script: "mkdir -p docs && ln -s ../../etc/passwd docs/passwd" }], rule: /symlinks/, paths: ["docs/passwd -> ../../etc/passwd"] },
  { name: "a symlink into .git/hooks", steps: [{ script: "ln -s .git/hooks hooks" }], rule: /symlinks/, paths: ["hooks -> .git/hooks"] },
  { name: "src/shadow -> /etc/shadow", steps: [{ script: "mkdir -p src && ln -s /etc/shadow src/shadow" }], rule: /symlinks/, paths: ["src/shadow -> /etc/shadow"] },
  { name: "a file above max_file_bytes", steps: [{ script: `head -c ${6 * MiB} /dev/urandom > big.bin` }], rule: /max_file_bytes/, paths: ["big.bin"] },
  {
    name: "a change above max_change_bytes",
    steps: [{ script: `for i in 1 2 3; do head -c ${3 * MiB} /dev/urandom > part$i.bin; done` }],
    rule: /max_change_bytes/,
    paths: ["part1.bin", "part2.bin", "part3.bin"],
  },
  { name: "a path inside .git/", steps: [dotGitTree], rule: /forbidden_globs/, paths: [".git/hooks/pre-commit"] },
  {
    name: "a big file in an earlier commit that the last one deletes (history would carry it)",
    steps: [{ script: `head -c ${6 * MiB} /dev/urandom > big.bin` }, { script: "rm big.bin && echo fine > fine.txt" }],
    rule: /max_file_bytes/,
    paths: ["big.bin"],
  },
  {
    name: "a workflow in a commit below a base_sha that is not on the base branch (a merge would bring it in)",
    steps: [{ script: "mkdir -p .github/workflows && echo 'on: push' > .github/workflows/ci.yml" }, { script: "echo fine > fine.txt" }],
    baseAfter: 1,
    rule: /forbidden_globs/,
    paths: [".github/workflows/ci.yml"],
  },
];

/**
 * A completion that never went through the runner: hostile content committed on a job branch by
 * hand and handed straight to integration. Each is refused before anything is applied, checked,
 * merged or pushed, whatever the merge strategy.
 */
describe.each(["cherry-pick", "no-ff"] as const)("a crafted completion with hostile content (%s)", (strategy) => {
  let scene: Scene;
  let integrator: Integrator;
  let jobTrees = 0;
  /** The configured check touches this: it must never run on a refused tree. */
  let checksRan: string;

  beforeAll(async () => {
    scene = await createScene();
    checksRan = join(scene.root, "checks-ran");
    const settings = scene.settings({ strategy, checks: [{ name: "marker", command: `touch ${checksRan}`, timeoutMs: 10_000 }] });
    // Between the 6 MiB file and the 9 MiB of three parts, with the default 5 MiB file cap.
    integrator = await openIntegrator({ settings: { ...settings, policy: { ...defaultChangePolicy(), maxChangeBytes: 8 * MiB } } });
  });
  afterAll(async () => {
    await integrator.close();
    await scene.remove();
  });

  async function craft(steps: Step[], baseAfter = 0): Promise<CompletionPayload> {
    const jobId = newId("job");
    const branch = `agent/w1/${jobId}`;
    let from = await git(scene.repo, "rev-parse", "main");
    const tree = join(scene.root, `crafted-${++jobTrees}`);
    await retryingWorktreeRace(() => git(scene.repo, "worktree", "add", "-q", "-B", branch, tree, from));
    for (const [i, step] of steps.entries()) {
      const message = `Crafted part ${i + 1}\n\nPushPals-Job: ${jobId}`;
      if ("plumbing" in step) {
        await step.plumbing(tree, message);
        continue;
      }
      await sh("sh", ["-c", step.script], { cwd: tree });
      await git(tree, "add", "-A");
      await git(tree, "commit", "-q", "-m", message);
      if (i + 1 === baseAfter) from = await git(tree, "rev-parse", "HEAD");
    }
    const sha = await git(tree, "rev-parse", "HEAD");
    await retryingWorktreeRace(() => git(scene.repo, "worktree", "remove", "--force", tree));
    return create(CompletionPayloadSchema, { jobId, branch, sha, baseSha: from, summary: "crafted", changedFiles: [] });
  }

  it.each(CASES)("refuses $name, naming the paths, before anything is merged or pushed", async ({ steps, baseAfter, rule, paths }) => {
    const completion = await craft(steps, baseAfter);
    const integrationBefore = await git(scene.repo, "for-each-ref", "--format=%(objectname)", "refs/heads/main_agents");
    const outcome = expectKind(await integrator.integrate(completion), "error");

    expect(outcome.error.code).toBe(Code.PermissionDenied);
    expect(outcome.retryable).toBe(false);
    const message = outcome.error.rawMessage;
    expect(message).toMatch(/the operator's \[policy\] forbids/);
    expect(message).toMatch(rule);
    for (const path of paths) expect(message).toContain(path);
    expect(message).toMatch(/nothing was merged or pushed/);

    // The first integrate makes the local main_agents from main; a refused completion moves it nowhere.
    const integrationAfter = await git(scene.repo, "for-each-ref", "--format=%(objectname)", "refs/heads/main_agents");
    if (integrationBefore) expect(integrationAfter).toBe(integrationBefore);
    expect((await history(scene.repo, "main_agents")).flatMap((c) => c.jobs)).not.toContain(completion.jobId);
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe("");
    expect(await git(scene.remote, "cat-file", "-t", completion.sha).catch(() => "missing"), "the crafted commit never reached the remote").toBe("missing");
    expect(outcome.stage).toBe("apply");
    expect(existsSync(checksRan), "refused before the apply: the configured check never ran on the hostile tree").toBe(false);
  });

  it("still merges a crafted completion that keeps to the policy", async () => {
    const completion = await craft([{ script: "mkdir -p src && echo ok > src/ok.txt && ln -s ok.txt src/ok-link" }]);
    const merged = expectKind(await integrator.integrate(completion), "merged");
    expect(existsSync(checksRan)).toBe(true);
    expect(await git(scene.remote, "ls-tree", merged.result.mergedSha, "src/ok-link")).toMatch(/^120000 blob /);
  });
});

async function gitIn(cwd: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("git", args, { cwd }, (error, stdout) => (error ? reject(error) : resolve(stdout.trim())));
    child.stdin!.end(input);
  });
}
