import { Code } from "@connectrpc/connect";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIntegrator, type Integrator } from "../../services/integration/index.js";
import { silentLogger } from "../../shared/log.js";
import { readRepoContext } from "../../services/planner/repo-context.js";
import { commitTree, createWorktree, diffOf, removeWorktree, stageChanges, worktreePool, type JobWorkspace } from "../../services/runner/workspace/index.js";
import { excludeDataDir } from "../../cli/exclude-data-dir.js";
import { requireGitRepo } from "../../cli/git-repo-check.js";
import { startGitHttpServer } from "../integration/support/git-http-server.js";
import { expectKind } from "../integration/support/outcome.js";
import { createScene, type Scene } from "../integration/support/scene.js";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { completions, createScene as createRunnerScene, enqueueJob, startRunner, waitForStatus } from "../runner/support.js";
import { git, writeFiles } from "../support/git.js";
import { markerKit, plantHostileGit, plantInWorktreeConfig, type PlantedRepo } from "./support/planted-repo.js";

/**
 * A job without isolation can write the person's .git: config, hooks, info/attributes. Every
 * git PushPals then runs on the host (runner, integration, planner, cli) must run none of what
 * it planted, and must not hand the process's secrets to whatever git does run.
 */
describe("host git runs nothing a repository names", () => {
  let scene: Scene;
  let kit: PlantedRepo;
  let integrator: Integrator | undefined;

  beforeEach(async () => {
    scene = await createScene({ "README.md": "# scratch\n", "shared.txt": "one\ntwo\nthree\nfour\nfive\n" });
    kit = await markerKit(join(scene.root, "markers"));
    // The person's own attributes name a driver: harmless until a job defines it.
    await writeFiles(scene.repo, { ".gitattributes": "*.txt filter=evil diff=evil merge=evil\n" });
    await git(scene.repo, "add", ".gitattributes");
    await git(scene.repo, "commit", "-q", "-m", "attributes");
    await git(scene.repo, "push", "-q", "origin", "main");
  });
  afterEach(async () => {
    await integrator?.close();
    integrator = undefined;
    await scene.remove();
  });

  const plant = async () => {
    await plantHostileGit(scene.repo, kit);
    await kit.reset();
  };
  const identity = { name: "PushPals", email: "pushpals@users.noreply.localhost" };
  const message = { subject: "hostile job", body: "", trailers: [] };

  async function stageAndCommit(workspace: JobWorkspace): Promise<string> {
    await writeFile(join(workspace.path, "shared.txt"), "one\ntwo\nthree\nfour\nfive\nsix\n");
    await writeFile(join(workspace.path, "new.txt"), "new\n");
    const staged = await stageChanges(workspace);
    expect(staged.changes.map((change) => change.path).sort()).toEqual(["new.txt", "shared.txt"]);
    const sha = await commitTree(workspace, staged.tree, message, identity);
    await diffOf(workspace, sha, 1 << 20);
    return sha;
  }

  it("the runner's worktrees: a warm spare and a fresh one created, staged, committed, diffed and removed", async () => {
    await plant();
    const pool = worktreePool({ repo: scene.repo, dataDir: scene.dataDir, workerId: "w1", baseRef: "main", size: 1, logger: silentLogger });
    await pool.refill();
    const warm = await pool.create({ jobId: "job_warm", baseRef: "main" });
    expect(warm.warm).toBe(true);
    const fresh = await createWorktree({ repo: scene.repo, dataDir: scene.dataDir, workerId: "w1", jobId: "job_fresh", baseRef: "main" });
    const shas = [await stageAndCommit(warm), await stageAndCommit(fresh)];
    await removeWorktree(scene.repo, warm.path);
    await removeWorktree(scene.repo, fresh.path);
    await pool.close();

    expect(await kit.ran()).toEqual([]);
    // No clean filter rewrote what was committed.
    for (const sha of shas) expect(await git(scene.repo, "cat-file", "blob", `${sha}:new.txt`)).toBe("new");
  });

  it("the runner's worktree, with drivers planted in the worktree's own config.worktree", async () => {
    await plant();
    const workspace = await createWorktree({ repo: scene.repo, dataDir: scene.dataDir, workerId: "w1", jobId: "job_wt", baseRef: "main" });
    await plantInWorktreeConfig(scene.repo, workspace.gitDir, kit);
    await kit.reset();
    await stageAndCommit(workspace);
    await removeWorktree(scene.repo, workspace.path);
    expect(await kit.ran()).toEqual([]);
  });

  it("integration: worktree, sync, a cherry-pick that needs a three-way merge, no-ff, notes and push to a bare remote", async () => {
    const first = await scene.job({ "shared.txt": "ONE\ntwo\nthree\nfour\nfive\n" });
    const second = await scene.job({ "shared.txt": "one\ntwo\nthree\nfour\nFIVE\n" });
    const third = await scene.job({ "other.txt": "other\n" });
    await plant();

    integrator = await openIntegrator({ settings: scene.settings() });
    expectKind(await integrator.integrate(first), "merged");
    const merged = expectKind(await integrator.integrate(second), "merged");
    await integrator.close();
    integrator = await openIntegrator({ settings: scene.settings({ strategy: "no-ff" }) });
    expectKind(await integrator.integrate(third), "merged");
    await integrator.close();
    integrator = undefined;

    expect(await kit.ran()).toEqual([]);
    expect(await scene.remoteRef("refs/heads/main_agents")).not.toBe("");
    expect(await git(scene.remote, "cat-file", "blob", `${merged.result.mergedSha}:shared.txt`)).toBe("ONE\ntwo\nthree\nfour\nFIVE");
  });

  it("the planner's repository context and the cli's repository checks", async () => {
    await plant();
    await writeFile(join(scene.repo, "shared.txt"), "changed\n");
    const context = await readRepoContext(scene.repo, AbortSignal.timeout(20_000));
    expect(context.gitStatus).toContain(" M shared.txt");
    expect(context.treeSummary).toContain("shared.txt");
    expect(await requireGitRepo(scene.repo)).toBe(scene.repo);
    await excludeDataDir(scene.repo, join(scene.repo, ".pushpals"));
    expect(await kit.ran()).toEqual([]);
  });

  describe("remotes", () => {
    async function integrateFails(): Promise<string> {
      const job = await scene.job({ "a.txt": "a\n" });
      await plant();
      integrator = await openIntegrator({ settings: scene.settings() });
      const failed = expectKind(await integrator.integrate(job), "error");
      expect(failed.error.code).toBe(Code.Unavailable);
      return failed.error.rawMessage;
    }

    it("an ssh remote uses ssh, not the planted core.sshCommand", async () => {
      await git(scene.repo, "remote", "set-url", "origin", "ssh://127.0.0.1:9/remote.git");
      await integrateFails();
      expect(await kit.ran()).toEqual([]);
    });

    it("an ext:: remote URL is refused even where the repository allows the ext transport", async () => {
      await git(scene.repo, "remote", "set-url", "origin", `ext::${kit.program("ext-remote").split(";")[0]}`);
      expect(await integrateFails()).toMatch(/transport 'ext' not allowed/);
      expect(await kit.ran()).toEqual([]);
    });

    it("an HTTP remote that asks for credentials gets none from a planted credential helper or askpass", async () => {
      const server = await startGitHttpServer(scene.root, "x-access-token", "tok_http_secret_0123456789");
      try {
        await git(scene.repo, "remote", "set-url", "origin", `${server.url}/remote.git`);
        await integrateFails();
        expect(await kit.ran()).toEqual([]);
      } finally {
        await server.close();
      }
    });

    it("a program git does run (the operator's GIT_SSH_COMMAND) sees none of the process's secrets", async () => {
      const secrets = {
        GITHUB_TOKEN: "ghp_hostile_secret_1",
        PUSHPALS_AUTH_TOKEN: "pushpals_auth_secret_2",
        PUSHPALS_LLM_API_KEY: "sk-llm-secret-3",
        PUSHPALS_GIT_PUSH_TOKEN: "push_secret_4",
        AWS_SECRET_ACCESS_KEY: "aws_secret_5",
        MY_DB_PASSWORD: "db_password_6",
        SOME_CREDENTIALS: "credentials_7",
        PUSHPALS_DATABASE_URL: "postgres://pushpals:db_url_secret_8@127.0.0.1:5432/x",
        OTHER_URL: "https://user:url_secret_9@example.invalid/",
      };
      const dump = join(scene.root, "ssh-env");
      await writeFile(join(scene.root, "dump-env.sh"), `#!/bin/sh\nenv > ${dump}\nexit 1\n`, { mode: 0o755 });
      await git(scene.repo, "remote", "set-url", "origin", "ssh://127.0.0.1:9/remote.git");
      Object.assign(process.env, secrets, { GIT_SSH_COMMAND: join(scene.root, "dump-env.sh") });
      try {
        await integrateFails();
      } finally {
        for (const name of [...Object.keys(secrets), "GIT_SSH_COMMAND"]) delete process.env[name];
      }
      const seen = await readFile(dump, "utf8");
      for (const value of Object.values(secrets)) expect(seen).not.toContain(value);
      expect(seen).toMatch(/^PATH=/m);
      expect(seen).toMatch(/^LC_ALL=C$/m);
      expect(seen).toMatch(/^GIT_TERMINAL_PROMPT=0$/m);
      expect(await kit.ran()).toEqual([]);
    });
  });

  it("end to end: a process-driver job plants them itself; PushPals' git runs none of them while it runs, and the runner's guard undoes them and fails the job", async () => {
    const runnerScene = await createRunnerScene();
    const runner = startRunner(runnerScene);
    try {
      const attackKit = await markerKit(join(runnerScene.dir.path, "markers"));
      const marker = (name: string, then?: string) => JSON.stringify(attackKit.program(name, then));
      const script = [
        'common="$(git rev-parse --path-format=absolute --git-common-dir)"',
        `git config --file "$common/config" core.fsmonitor ${marker("fsmonitor")}`,
        `git config --file "$common/config" filter.evil.clean ${marker("filter-clean", "cat")}`,
        `git config --file "$common/config" filter.evil.smudge ${marker("filter-smudge", "cat")}`,
        `git config --file "$common/config" filter.evil.required true`,
        `git config --file "$common/config" merge.evil.driver ${marker("merge-driver", "exit 1")}`,
        'mkdir -p "$common/info" "$common/hooks"',
        `echo '* filter=evil merge=evil' > "$common/info/attributes"`,
        ...["pre-commit", "post-checkout", "reference-transaction", "post-merge"].map(
          (hook) => `printf '#!/bin/sh\\n%s\\n' ${marker(`hook-${hook}`)} > "$common/hooks/${hook}" && chmod +x "$common/hooks/${hook}"`,
        ),
        "echo changed by a hostile job >> src/app.txt",
      ].join("\n");
      const job = await enqueueJob(runnerScene, { instruction: script }, { maxAttempts: 1 });
      const finished = await waitForStatus(runnerScene, job.id);
      // The guard (services/runner/git-dir-guard.ts) sees the planted files, restores them and fails the job for good.
      expect(finished.status, finished.lastError).toBe(ItemStatus.FAILED);
      expect(finished.lastError).toMatch(/\.git\/config.*\.git\/hooks\/pre-commit.*\.git\/info\/attributes/s);
      expect(await git(runnerScene.repo, "config", "--get-regexp", "^(core\\.fsmonitor|filter\\.|merge\\.)").catch(() => "")).toBe("");
      expect(await completions(runnerScene)).toEqual([]);
      // Nothing planted ran meanwhile: not in the runner's git (worktree, status, spares), nor after.
      expect(await attackKit.ran()).toEqual([]);
    } finally {
      await runner.stop();
      await integrator?.close();
      integrator = undefined;
      await runnerScene.remove();
    }
  });
});
