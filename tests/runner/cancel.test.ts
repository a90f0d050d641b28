import { afterEach, describe, expect } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { createBwrapDriver, INSTALL_BWRAP_HINT } from "../../sandbox/bwrap-driver.js";
import { itIfAvailable, type Requirement } from "../sandbox/environment.js";
import { processesWith, uniqueSleep, waitFor } from "../sandbox/fixtures.js";
import { completions, createScene, enqueueJob, itemEvents, startRunner, waitForStatus, type InProcessRunner, type Scene } from "./support.js";

const bwrap: Requirement = { name: "bubblewrap (bwrap)", available: await createBwrapDriver().available(), howToGet: INSTALL_BWRAP_HINT };

describe.each([
  { driver: "process", requirement: { name: "the process driver", available: true, howToGet: "" } },
  { driver: "bwrap", requirement: bwrap },
])("cancelling a running job ($driver sandbox)", ({ driver, requirement }) => {
  let scene: Scene | undefined;
  let runner: InProcessRunner | undefined;

  afterEach(async () => {
    await runner?.stop();
    await scene?.remove();
    runner = scene = undefined;
  });

  itIfAvailable('kills the whole process tree within 2 s and ends the job cancelled with reason "cancelled"', requirement, async () => {
    scene = await createScene();
    // A long lease and heartbeat: only the pushed cancel event can stop the job in time.
    runner = startRunner(scene, { "runner.driver": driver, "runner.leaseSeconds": 60, "runner.heartbeatSeconds": 60 });
    const { seconds, marker } = uniqueSleep();
    // A tree: the script, a child shell and a grandchild, plus one in the background.
    const job = await enqueueJob(scene, { instruction: `echo started > started.txt; sleep ${seconds} & sh -c 'sleep ${seconds}'; wait` });
    await waitForStatus(scene, job.id, [ItemStatus.CLAIMED]);
    await waitFor("the job's sleeps to run", async () => (await processesWith(marker)) === 2, 10_000);

    const cancelledAt = performance.now();
    await scene.controlPlane.clients.queues.cancel({ itemId: job.id, reason: "the person changed their mind" });
    await waitFor("every process of the job to be gone", async () => (await processesWith(marker)) === 0, 2000);
    const goneAfterMs = performance.now() - cancelledAt;

    const ended = await waitForStatus(scene, job.id, [ItemStatus.CANCELLED, ItemStatus.FAILED], 5000);
    expect(ended.status).toBe(ItemStatus.CANCELLED);
    expect(ended.lastError).toBe("cancelled");
    expect(goneAfterMs).toBeLessThan(2000);
    const events = await itemEvents(scene, job.id);
    expect(events.map((event) => event.payload.case)).toContain("jobCancelRequested");
    expect(events.at(-1)?.payload.case).toBe("jobCancelled");
    expect(await completions(scene)).toEqual([]);
    await waitFor("the runner to record the ending", () => runner!.ended.get(job.id) === "cancelled", 2000);
  });
});
