import { create } from "@bufbuild/protobuf";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { CompletionPayloadSchema, type CompletionPayload } from "../../../gen/pushpals/v1/items_pb.js";
import { PlanningSchema, Risk, Intent } from "../../../gen/pushpals/v1/task_pb.js";
import { newId } from "../../../shared/ids.js";
import { retryingWorktreeRace } from "../../../shared/worktree-race.js";
import type { IntegrationSettings } from "../../../services/integration/settings.js";
import { git, initRepo, writeFiles } from "../../support/git.js";
import { tempDir, type TempDir } from "../../support/tmp.js";

/**
 * A bare "remote", the supervisor's repository cloned from it (main pushed), and a data
 * dir: what integration runs against in production, in a temp dir.
 */
export interface Scene {
  root: string;
  remote: string;
  repo: string;
  dataDir: string;
  settings(overrides?: Partial<IntegrationSettings>): IntegrationSettings;
  /** Commits `files` on a job branch the way the supervisor does (trailer included) and returns its completion. */
  job(files: Record<string, string>, options?: JobOptions): Promise<CompletionPayload>;
  /** The remote's sha of a ref, "" when absent. */
  remoteRef(ref: string): Promise<string>;
  /** Commits onto the remote's main from another clone, as a person would. */
  advanceRemoteMain(files: Record<string, string>, message?: string): Promise<string>;
  remove(): Promise<void>;
}

export interface JobOptions {
  /** Start point; default the remote's main as the repository knows it (main). */
  from?: string;
  message?: string;
  jobId?: string;
  branch?: string;
  /** More commits after the first, each a set of files. */
  more?: Record<string, string>[];
  /** Leave the supervisor trailer out of the messages. */
  noTrailer?: boolean;
}

export async function createScene(files: Record<string, string> = { "README.md": "# scratch\n", "shared.txt": "one\ntwo\nthree\n" }): Promise<Scene> {
  const dir: TempDir = await tempDir("pushpals-integration-");
  const root = dir.path;
  const remote = join(root, "remote.git");
  const repo = join(root, "repo");
  await git(root, "init", "-q", "--bare", "-b", "main", remote);
  await mkdir(repo);
  await initRepo(repo, files);
  await git(repo, "remote", "add", "origin", remote);
  await git(repo, "push", "-q", "origin", "main");
  let jobWorktrees = 0;

  return {
    root,
    remote,
    repo,
    dataDir: join(root, "data"),
    settings: (overrides = {}) => ({
      repoPath: repo,
      dataDir: join(root, "data"),
      workDir: join(root, "data"),
      baseBranch: "main",
      branch: "main_agents",
      strategy: "cherry-pick",
      remote: "origin",
      checks: [],
      push: { username: "x-access-token", token: "" },
      committer: { name: "PushPals Integration", email: "pushpals@localhost" },
      pullRequests: { provider: "none", repository: "", apiUrl: "", token: "" },
      deleteJobBranches: true,
      ...overrides,
    }),
    async job(jobFiles, options = {}) {
      const jobId = options.jobId ?? newId("job");
      const branch = options.branch ?? `agent/w1/${jobId}`;
      const from = options.from ?? (await git(repo, "rev-parse", "main"));
      const tree = join(root, `job-${++jobWorktrees}`);
      // The integration worker may be adding its own worktree of this repository right now.
      await retryingWorktreeRace(() => git(repo, "worktree", "add", "-q", "-B", branch, tree, from)); // -B: a lost race may have made the branch
      const message = options.message ?? `Change ${Object.keys(jobFiles).join(", ")}`;
      const trailer = options.noTrailer ? "" : `\n\nPushPals-Job: ${jobId}`;
      for (const [i, set] of [jobFiles, ...(options.more ?? [])].entries()) {
        await writeFiles(tree, set);
        await git(tree, "add", "-A");
        await git(tree, "commit", "-q", "--allow-empty", "-m", `${i === 0 ? message : `${message} (part ${i + 1})`}${trailer}`);
      }
      const sha = await git(tree, "rev-parse", "HEAD");
      await retryingWorktreeRace(() => git(repo, "worktree", "remove", "--force", tree));
      return create(CompletionPayloadSchema, {
        jobId,
        branch,
        sha,
        baseSha: from,
        summary: message,
        changedFiles: Object.keys(jobFiles),
        planning: create(PlanningSchema, {
          intent: Intent.CODE_CHANGE,
          risk: Risk.LOW,
          acceptanceCriteria: [`${Object.keys(jobFiles)[0]} is updated`],
          validationSteps: ["true"],
        }),
      });
    },
    async remoteRef(ref) {
      return git(remote, "for-each-ref", "--format=%(objectname)", ref);
    },
    async advanceRemoteMain(mainFiles, message = "person's commit on main") {
      const clone = join(root, `person-${++jobWorktrees}`);
      await git(root, "clone", "-q", remote, clone);
      await git(clone, "config", "user.name", "Person");
      await git(clone, "config", "user.email", "person@pushpals.invalid");
      await writeFiles(clone, mainFiles);
      await git(clone, "add", "-A");
      await git(clone, "commit", "-q", "-m", message);
      await git(clone, "push", "-q", "origin", "main");
      return git(clone, "rev-parse", "HEAD");
    },
    remove: () => dir.remove(),
  };
}

/** Commit subjects and job trailers of a ref in a repository, newest first; `firstParent` follows the branch's own line only. */
export async function history(
  repo: string,
  ref: string,
  options: { firstParent?: boolean } = {},
): Promise<Array<{ sha: string; subject: string; jobs: string[]; parents: number }>> {
  const out = await git(
    repo,
    "log",
    ...(options.firstParent ? ["--first-parent"] : []),
    "--format=%H%x00%s%x00%P%x00%(trailers:key=PushPals-Job,valueonly,separator=%x2C)%x1e",
    ref,
  );
  return out
    .split("\x1e")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [sha = "", subject = "", parents = "", jobs = ""] = line.split("\0");
      return { sha, subject, parents: parents.split(" ").filter(Boolean).length, jobs: jobs ? jobs.split(",").map((j) => j.trim()) : [] };
    });
}
