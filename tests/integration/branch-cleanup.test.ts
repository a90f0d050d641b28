import { create } from "@bufbuild/protobuf";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { CompletionPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { deleteFinishedBranch } from "../../services/integration/branch-cleanup.js";
import { silentLogger } from "../../shared/log.js";
import { git } from "../support/git.js";
import { createScene, type Scene } from "./support/scene.js";
import { createServiceScene, type ServiceScene } from "./support/service-scene.js";

const branchTip = (repo: string, branch: string) => git(repo, "for-each-ref", "--format=%(objectname)", `refs/heads/${branch}`);

describe("job branches after integration", () => {
  let s: ServiceScene;

  beforeEach(async () => {
    s = await createServiceScene();
  });
  afterEach(async () => {
    await s.close();
  });

  /** Waits until the branch is gone; the report comes first, the clean-up right after it. */
  async function expectDeleted(branch: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    while ((await branchTip(s.git.repo, branch)) !== "" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await branchTip(s.git.repo, branch), `${branch} should be deleted`).toBe("");
  }

  /** The worker takes one completion at a time: once a later one is done, an earlier one's clean-up is too. */
  async function afterTheWorkerMovedOn(): Promise<void> {
    const marker = await s.enqueue(await s.git.job({ [`marker-${Date.now()}.txt`]: "m\n" }));
    await s.waitFor(marker.id, [ItemStatus.COMPLETED]);
  }

  it("deletes a merged job's branch (and one merged again: already merged), never the integration or base branch", async () => {
    s.startWorker();
    const job = await s.git.job({ "a.txt": "a\n" });
    const item = await s.enqueue(job);
    await s.waitFor(item.id, [ItemStatus.COMPLETED]);
    await expectDeleted(job.branch);
    expect(await branchTip(s.git.repo, "main")).not.toBe("");
    expect(await branchTip(s.git.repo, "main_agents")).not.toBe("");

    // The same work sent again (its branch recreated at the same commit) is already merged: deleted too.
    await git(s.git.repo, "branch", job.branch, job.sha);
    const again = await s.enqueue(job);
    expect((await s.waitFor(again.id, [ItemStatus.COMPLETED])).result?.kind.value).toMatchObject({ alreadyMerged: true });
    await expectDeleted(job.branch);
  });

  it("keeps every branch with integration.deleteJobBranches = false", async () => {
    s.startWorker({ overrides: { "integration.deleteJobBranches": false } });
    const job = await s.git.job({ "a.txt": "a\n" });
    await s.waitFor((await s.enqueue(job)).id, [ItemStatus.COMPLETED]);
    await afterTheWorkerMovedOn();
    expect(await branchTip(s.git.repo, job.branch)).toBe(job.sha);
  });

  it("deletes the branch of a completion whose checks failed, and of one refused at validation", async () => {
    s.startWorker({ overrides: { "integration.checks": [{ name: "no-broken", command: "test ! -e broken.txt", timeoutSeconds: 60 }] } });
    const broken = await s.git.job({ "broken.txt": "x\n" });
    expect((await s.waitFor((await s.enqueue(broken)).id, [ItemStatus.FAILED, ItemStatus.COMPLETED])).status).toBe(ItemStatus.FAILED);
    await expectDeleted(broken.branch);

    const refused = await s.git.job({ "b.txt": "b\n" });
    const bad = create(CompletionPayloadSchema, { ...refused, changedFiles: ["../../etc/passwd"] });
    const failed = await s.waitFor((await s.enqueue(bad)).id, [ItemStatus.FAILED, ItemStatus.COMPLETED]);
    expect(failed.lastError).toMatch(/completion\.changed_files\[0\]/);
    await expectDeleted(refused.branch);
  });

  it("keeps the branch of a completion being retried, deletes it once it merges, and deletes it when its last attempt fails", async () => {
    const url = await git(s.git.repo, "remote", "get-url", "origin");
    await git(s.git.repo, "remote", "set-url", "origin", join(s.git.root, "not-there.git"));
    s.startWorker();
    const job = await s.git.job({ "a.txt": "a\n" });
    const item = await s.enqueue(job, { maxAttempts: 10 });
    // A second claim means the first attempt (a retryable failure: the remote is unreachable) is reported and cleaned up.
    await s.waitUntil(item.id, "its second attempt", (current) => current.attempts >= 2);
    expect(await branchTip(s.git.repo, job.branch)).toBe(job.sha);
    await git(s.git.repo, "remote", "set-url", "origin", url);
    await s.waitFor(item.id, [ItemStatus.COMPLETED]);
    await expectDeleted(job.branch);

    await git(s.git.repo, "remote", "set-url", "origin", join(s.git.root, "not-there.git"));
    const last = await s.git.job({ "c.txt": "c\n" });
    expect((await s.waitFor((await s.enqueue(last, { maxAttempts: 1 })).id, [ItemStatus.DEAD_LETTER, ItemStatus.COMPLETED])).status).toBe(ItemStatus.DEAD_LETTER);
    await expectDeleted(last.branch);
  });

  it("keeps a conflicted completion's branch for its repair job; deletes both once the repair is merged", async () => {
    s.startWorker();
    const first = await s.git.job({ "shared.txt": "one\nTWO by first\nthree\n" });
    await s.waitFor((await s.enqueue(first)).id, [ItemStatus.COMPLETED]);
    const second = await s.git.job({ "shared.txt": "one\nTWO by second\nthree\n" });
    const conflicted = await s.enqueue(second);
    expect((await s.waitFor(conflicted.id, [ItemStatus.CONFLICTED, ItemStatus.FAILED, ItemStatus.COMPLETED])).status).toBe(ItemStatus.CONFLICTED);
    await afterTheWorkerMovedOn();
    expect(await branchTip(s.git.repo, second.branch)).toBe(second.sha);

    // What the runner sends back for the repair job: its own branch, started from main_agents.
    const [repair] = (await s.cp.clients.queues.listItems({ queue: QueueName.JOBS })).items;
    if (!repair) throw new Error("no repair job was enqueued");
    const repaired = await s.git.job({ "shared.txt": "one\nTWO by first and second\nthree\n" }, { jobId: repair.id, from: await git(s.git.repo, "rev-parse", "main_agents") });
    await s.waitFor((await s.enqueue(repaired)).id, [ItemStatus.COMPLETED]);
    await expectDeleted(repaired.branch);
    await expectDeleted(second.branch);
  });
});

describe("deleting one finished branch", () => {
  let scene: Scene;

  beforeEach(async () => {
    scene = await createScene();
  });
  afterEach(async () => {
    await scene.remove();
  });

  it("keeps a branch that moved on, one outside agent/, one a person has checked out; deletes one checked out in PushPals' own job worktree", async () => {
    const settings = scene.settings();
    const moved = await scene.job({ "a.txt": "a\n" });
    await git(scene.repo, "update-ref", `refs/heads/${moved.branch}`, await git(scene.repo, "rev-parse", "main"));
    expect(await deleteFinishedBranch(settings, moved, silentLogger)).toBe("kept");

    const outside = await scene.job({ "b.txt": "b\n" }, { branch: "feature/b" });
    expect(await deleteFinishedBranch(settings, outside, silentLogger)).toBe("kept");
    expect(await deleteFinishedBranch(settings, { branch: "main_agents", sha: outside.sha }, silentLogger)).toBe("kept");

    const inspected = await scene.job({ "c.txt": "c\n" });
    await git(scene.repo, "worktree", "add", "-q", join(scene.root, "person-looks"), inspected.branch);
    expect(await deleteFinishedBranch(settings, inspected, silentLogger)).toBe("kept");
    expect(await branchTip(scene.repo, inspected.branch)).toBe(inspected.sha);

    const running = await scene.job({ "d.txt": "d\n" });
    await git(scene.repo, "worktree", "add", "-q", join(scene.dataDir, "worktrees", "w1", running.jobId), running.branch);
    expect(await deleteFinishedBranch(settings, running, silentLogger)).toBe("deleted");
    expect(await deleteFinishedBranch(settings, running, silentLogger)).toBe("gone");
  });
});
