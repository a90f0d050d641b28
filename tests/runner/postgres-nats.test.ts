import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { processesWith, uniqueSleep, waitFor } from "../sandbox/fixtures.js";
import { git } from "../support/git.js";
import { completions, createScene, enqueueJob, startRunner, waitForStatus, type InProcessRunner, type Scene } from "./support.js";

/** The runner against a control plane on Postgres with NATS as its bus, as a mesh would run it. */
describe("the runner on a Postgres + NATS control plane", () => {
  let scene: Scene;
  let runner: InProcessRunner;

  beforeAll(async () => {
    scene = await createScene({ controlPlane: { store: "postgres", natsUrl: "nats://127.0.0.1:4222" } });
    runner = startRunner(scene, { "runner.leaseSeconds": 60, "runner.heartbeatSeconds": 60 });
  });
  afterAll(async () => {
    await runner.stop();
    await scene.remove();
  });

  it("runs a job to a commit and a completion", async () => {
    const job = await enqueueJob(scene, { instruction: "echo pg > pg.txt" });
    const finished = await waitForStatus(scene, job.id);
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
    const sha = finished.result?.kind.case === "job" ? finished.result.kind.value.sha : "";
    expect(await git(scene.repo, "show", `${sha}:pg.txt`)).toBe("pg");
    expect((await completions(scene)).map((c) => c.parentId)).toEqual([job.id]);
  });

  it("sees a cancel pushed over NATS within 2 s", async () => {
    const { seconds, marker } = uniqueSleep();
    const job = await enqueueJob(scene, { instruction: `sleep ${seconds}` });
    await waitFor("the sleep to run", async () => (await processesWith(marker)) === 1, 10_000);
    await scene.controlPlane.clients.queues.cancel({ itemId: job.id, reason: "test" });
    await waitFor("the sleep to be gone", async () => (await processesWith(marker)) === 0, 2000);
    expect((await waitForStatus(scene, job.id, undefined, 5000)).status).toBe(ItemStatus.CANCELLED);
  });
});
