import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CompletionPayloadSchema, type CompletionPayload } from "../../gen/pushpals/v1/items_pb.js";
import { openIntegrator, type Integrator } from "../../services/integration/index.js";
import { configSchema } from "../../shared/config/schema.js";
import { newId } from "../../shared/ids.js";
import { git, writeFiles } from "../support/git.js";
import { expectKind } from "./support/outcome.js";
import { createScene, history, type Scene } from "./support/scene.js";

/**
 * Everything here would create a marker file if any of it reached a shell. Branch names
 * cannot hold spaces, so they use ${IFS} and an environment variable naming the marker,
 * which every child process inherits.
 */
describe("hostile input", () => {
  let scene: Scene;
  let integrator: Integrator | undefined;
  let marker: string;
  const literalMarker = `/tmp/pushpals-pwned-${process.pid}`;
  const shellBits = (target: string) => `$(touch ${target}) \`touch ${target}\`; touch ${target} && touch ${target} | touch ${target}`;

  beforeAll(() => {
    marker = join("/tmp", `pushpals-hostile-${process.pid}-${Date.now()}`);
    process.env.HOSTILE_MARKER = marker;
  });
  afterAll(() => {
    delete process.env.HOSTILE_MARKER;
  });
  beforeEach(async () => {
    scene = await createScene();
  });
  afterEach(async () => {
    await integrator?.close();
    integrator = undefined;
    await scene.remove();
    expect(existsSync(marker), "a hostile value was executed by a shell").toBe(false);
    expect(existsSync(literalMarker), "a hostile value was executed by a shell").toBe(false);
    expect(existsSync(join(scene.root, "x"))).toBe(false);
  });

  const open = async (strategy: "cherry-pick" | "no-ff" = "cherry-pick") => (integrator = await openIntegrator({ settings: scene.settings({ strategy }) }));

  async function expectRefused(completion: CompletionPayload, field: string, stage = "validate"): Promise<void> {
    const int = integrator ?? (await open());
    const outcome = expectKind(await int.integrate(completion), "error");
    expect(outcome.error.code).toBe(Code.InvalidArgument);
    expect(outcome.error.rawMessage.startsWith(`${field}: `)).toBe(true);
    expect(outcome.retryable).toBe(false);
    expect(outcome.stage).toBe(stage);
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe("");
  }

  it("refuses a branch that git would read as an option", async () => {
    const job = await scene.job({ "a.txt": "a\n" });
    await expectRefused(create(CompletionPayloadSchema, { ...job, branch: `--upload-pack=touch ${literalMarker}` }), "completion.branch");
  });

  it("refuses a branch with a command substitution and spaces, or with ..", async () => {
    const job = await scene.job({ "a.txt": "a\n" });
    await expectRefused(create(CompletionPayloadSchema, { ...job, branch: `agent/$(touch ${literalMarker})` }), "completion.branch");
    await expectRefused(create(CompletionPayloadSchema, { ...job, branch: "agent/../../x" }), "completion.branch");
    await expectRefused(create(CompletionPayloadSchema, { ...job, branch: "agent/@{-1}" }), "completion.branch");
  });

  it("refuses shas, job ids and paths that are not what a supervisor sends", async () => {
    const job = await scene.job({ "a.txt": "a\n" });
    await expectRefused(create(CompletionPayloadSchema, { ...job, sha: `--upload-pack=touch ${literalMarker}` }), "completion.sha");
    await expectRefused(create(CompletionPayloadSchema, { ...job, sha: "HEAD" }), "completion.sha");
    await expectRefused(create(CompletionPayloadSchema, { ...job, baseSha: "HEAD~1;touch x" }), "completion.base_sha");
    await expectRefused(create(CompletionPayloadSchema, { ...job, jobId: `job_$(touch ${literalMarker})` }), "completion.job_id");
    await expectRefused(create(CompletionPayloadSchema, { ...job, changedFiles: ["ok.txt", "../../etc/passwd"] }), "completion.changed_files[1]");
    await expectRefused(create(CompletionPayloadSchema, { ...job, changedFiles: ["/etc/passwd"] }), "completion.changed_files[0]");
    // Well-formed but not where the job started: found once the history is looked at.
    await expectRefused(create(CompletionPayloadSchema, { ...job, baseSha: (await scene.job({ "b.txt": "b" })).sha }), "completion.base_sha", "apply");
  });

  it("a valid branch name full of shell syntax is passed to git as data (fetched from the remote and merged)", async () => {
    const branch = "agent/$(touch${IFS}$HOSTILE_MARKER)`touch${IFS}$HOSTILE_MARKER`;touch${IFS}$HOSTILE_MARKER";
    // The job's commit exists only on the remote, so integration must fetch that branch by name.
    const other = join(scene.root, "other-supervisor");
    await git(scene.root, "clone", "-q", scene.remote, other);
    await git(other, "checkout", "-q", "-b", branch);
    await writeFiles(other, { "remote-only.txt": "r\n" });
    await git(other, "add", "-A");
    const jobId = newId("job");
    await git(other, "commit", "-q", "-m", `Remote-only job\n\nPushPals-Job: ${jobId}`);
    await git(other, "push", "-q", "origin", branch);
    const sha = await git(other, "rev-parse", "HEAD");
    expect(await git(scene.repo, "cat-file", "-t", sha).catch(() => "missing")).toBe("missing");

    const int = await open();
    const completion = create(CompletionPayloadSchema, { jobId, branch, sha, baseSha: await git(other, "rev-parse", "main"), summary: "remote-only" });
    const merged = expectKind(await int.integrate(completion), "merged");
    expect(await git(scene.remote, "show", `${merged.result.mergedSha}:remote-only.txt`)).toBe("r");
  });

  it("commit messages and summaries with shell metacharacters arrive verbatim (cherry-pick and no-ff)", async () => {
    const message = `Fix ${shellBits(literalMarker)} \${HOSTILE_MARKER}`;
    const picked = await scene.job({ "a.txt": "a\n" }, { message });
    const int = await open("cherry-pick");
    const pickedOutcome = expectKind(await int.integrate(picked), "merged");
    expect(await git(scene.remote, "log", "-1", "--format=%s", pickedOutcome.result.mergedSha)).toBe(message);
    await int.close();
    integrator = undefined;

    const summary = `Merge-me ${shellBits("$HOSTILE_MARKER")}\n\n# a markdown heading, kept\nPushPals-Job: job_00000000000000000000000000`;
    const merged = await scene.job({ "b.txt": "b\n" });
    const noFf = await open("no-ff");
    const outcome = expectKind(await noFf.integrate(create(CompletionPayloadSchema, { ...merged, summary })), "merged");
    const body = await git(scene.remote, "log", "-1", "--format=%B", outcome.result.mergedSha);
    expect(body.startsWith(`Merge ${merged.jobId}: Merge-me $(touch $HOSTILE_MARKER)`)).toBe(true);
    expect(body).toContain(`Merge-me ${shellBits("$HOSTILE_MARKER")}`);
    expect(body).toContain("# a markdown heading, kept");
    // A trailer-looking line inside the summary is not the merge's trailer: only the real job counts.
    const [tip] = await history(scene.remote, outcome.result.mergedSha);
    expect(tip?.jobs).toEqual([merged.jobId]);
  });

  it("configuration that would inject options is refused before any git call", async () => {
    const parsed = configSchema.safeParse({ integration: { branch: `--upload-pack=touch ${literalMarker}`, remote: "--upload-pack=x" } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join("."))).toEqual(["integration.branch", "integration.remote"]);

    const error = await openIntegrator({ settings: scene.settings({ branch: `--upload-pack=touch ${literalMarker}` }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toMatch(/^integration\.branch: .* starts with "-"/);

    const badRemote = await openIntegrator({ settings: scene.settings({ remote: `--upload-pack=touch ${literalMarker}` }) }).catch((e: unknown) => e);
    expect((badRemote as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((badRemote as ConnectError).rawMessage).toContain("is not a remote of");
    expect(existsSync(join(scene.dataDir, "integration.lock"))).toBe(false);
  });
});
