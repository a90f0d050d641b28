import { create } from "@bufbuild/protobuf";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { FailMode } from "../../gen/pushpals/v1/queues_pb.js";
import { Lane, TaskExecuteV2Schema } from "../../gen/pushpals/v1/task_pb.js";
import { describeIfAvailable, itIfAvailable } from "../sandbox/environment.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";
import { chromiumRequirement, launchChromium, WEB_DIST } from "./support/browser.js";

/**
 * The job page's buttons against a real control plane, the test playing the worker (claim,
 * fail): the follow-up box reaches the running job, Cancel asks it to stop, Retry enqueues the
 * same task again as a child of the failed one and opens its page.
 */
describeIfAvailable("the job page's actions", chromiumRequirement, () => {
  let plane: TestControlPlane;
  let browser: Browser;
  beforeAll(async () => {
    plane = await startTestControlPlane({ staticDir: WEB_DIST });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await plane?.stop();
  });

  itIfAvailable(
    "follow-up, cancel and retry from the page",
    chromiumRequirement,
    async () => {
      const { clients } = plane;
      const sessionId = (await clients.sessions.createSession({ title: "job actions" })).session!.id;
      const payload = create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: create(TaskExecuteV2Schema, { lane: Lane.DETERMINISTIC, instruction: "echo hi" }) } });
      const { item: job } = await clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload });
      const claim = await clients.queues.claim({ queue: QueueName.JOBS, workerId: "worker-web-test", leaseDuration: { seconds: 60n } });
      expect(claim.item?.id).toBe(job!.id);

      const page = await browser.newPage();
      await page.goto(`${plane.url}/jobs/${job!.id}`);
      await page
        .getByRole("heading", { name: new RegExp(`Job ${job!.id}`) })
        .getByText("claimed")
        .waitFor({ timeout: 15_000 });

      await page.getByLabel("Follow-up for the job").fill("also update the README");
      await page.getByRole("button", { name: "Send to job" }).click();
      await page.getByRole("status").filter({ hasText: "follow-up sent" }).waitFor({ timeout: 10_000 });
      const { events } = await clients.sessions.listEvents({ sessionId, itemId: job!.id, limit: 100 });
      expect(events.filter((e) => e.payload.case === "jobFollowUp").map((e) => e.payload.value)).toEqual([
        expect.objectContaining({ text: "also update the README", author: "web" }),
      ]);

      await page.getByRole("button", { name: "Cancel" }).click();
      await page.getByRole("status").filter({ hasText: "cancel requested" }).waitFor({ timeout: 10_000 });
      expect((await clients.queues.getItem({ itemId: job!.id })).item?.cancelRequested).toBe(true);

      // The worker gives up on it; the page sees the failure and offers Retry.
      await clients.queues.fail({ itemId: job!.id, leaseToken: claim.leaseToken, error: "worker gave up", mode: FailMode.FINAL });
      const retry = page.getByRole("button", { name: "Retry" });
      await expect.poll(() => retry.isEnabled(), { timeout: 10_000 }).toBe(true);
      await retry.click();
      await page.waitForURL((url) => url.pathname.startsWith("/jobs/") && !url.pathname.endsWith(job!.id), { timeout: 10_000 });
      const retriedId = decodeURIComponent(new URL(page.url()).pathname.split("/")[2]!);
      const { item: retried } = await clients.queues.getItem({ itemId: retriedId });
      expect(retried).toMatchObject({ parentId: job!.id, sessionId, status: ItemStatus.PENDING });
      expect(retried?.payload?.kind.case === "taskExecuteV2" ? retried.payload.kind.value.instruction : "").toBe("echo hi");
      await page.close();
    },
    60_000,
  );
});
