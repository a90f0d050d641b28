import type { Interceptor } from "@connectrpc/connect";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { createClients } from "../../shared/clients.js";
import { createLogger } from "../../shared/log.js";
import type { Lane } from "../../services/runner/lanes/lane.js";
import { runRunner } from "../../services/runner/runner-service.js";
import { commitsOfJob, completions, createScene, enqueueJob, jobBranchTip, waitForStatus, type Scene } from "./support.js";

/**
 * Lease renewals held back on their way to the control plane, as in a network partition: the
 * background renewal never answers, so the runner has to notice the loss on its way to the commit
 * (the job's event stream, its log appends, the lease check before committing).
 */
function heldRenewals() {
  let holding = false;
  const interceptor: Interceptor = (next) => async (req) => {
    if (holding && req.method.name === "RenewLease") {
      await new Promise((_, reject) => req.signal.addEventListener("abort", () => reject(req.signal.reason), { once: true }));
    }
    return next(req);
  };
  return {
    interceptor,
    hold: () => void (holding = true),
    /** Calls made from now on go through; held ones stay held. */
    letNewOnesThrough: () => void (holding = false),
  };
}

describe("a lease lost while renewals hang", () => {
  let scene: Scene | undefined;
  let stopRunner: (() => Promise<void>) | undefined;

  afterEach(async () => {
    await stopRunner?.();
    await scene?.remove();
    scene = stopRunner = undefined;
  });

  it("finds the lease gone and commits nothing, even when the work finished", async () => {
    scene = await createScene();
    const partition = heldRenewals();
    const probe = scene.controlPlane.clients.queues;
    let lost!: Promise<void>;
    // A lane that does its work while renewals are held, until the job was lost on the server.
    const lane: Lane = {
      name: "deterministic",
      needsModelSocket: false,
      async run(run) {
        partition.hold();
        await writeFile(join(run.sandbox.workdir, "change.txt"), "work\n");
        lost = (async () => {
          await new Promise((resolve) => setTimeout(resolve, 1500)); // past the 1 s lease
          await probe.claim({ queue: QueueName.JOBS, workerId: "prober" }); // reaps expired leases
          await waitForStatus(scene!, run.jobId, [ItemStatus.DEAD_LETTER], 5000);
        })();
        await lost;
        partition.letNewOnesThrough();
        return { summary: "wrote change.txt" };
      },
    };
    const config = scene.config({ "runner.workerId": `confirm-runner-${process.pid}`, "runner.leaseSeconds": 1, "runner.heartbeatSeconds": 60 });
    const controller = new AbortController();
    const endings = new Map<string, string>();
    const running = runRunner(
      {
        config,
        logger: createLogger("test-runner"),
        controlPlaneUrl: scene.controlPlane.url,
        clients: createClients(scene.controlPlane.url, { interceptors: [partition.interceptor] }),
      },
      controller.signal,
      { claimWaitMs: 5000, lanes: { deterministic: lane }, onJobEnded: (id, ending) => endings.set(id, ending) },
    );
    stopRunner = async () => {
      controller.abort();
      await running;
    };

    const job = await enqueueJob(scene, { instruction: "unused: the test's lane runs instead" }, { maxAttempts: 1 });
    const deadline = Date.now() + 15_000;
    while (!endings.has(job.id) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(endings.get(job.id)).toBe("lease_lost");
    expect(await commitsOfJob(scene.repo, job.id)).toEqual([]);
    expect(["", scene.baseSha]).toContain(await jobBranchTip(scene.repo, `agent/confirm-runner-${process.pid}/${job.id}`));
    expect(await completions(scene)).toEqual([]);
  });
});
