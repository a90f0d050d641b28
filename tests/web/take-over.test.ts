import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { eventsOf, readAuditLog, stepsInOrder } from "../e2e/support/audit-log.js";
import { streamedEvent } from "../e2e/support/next-event.js";
import { expectOneMerge } from "../e2e/support/one-merge.js";
import { useSystemUnderTest } from "../e2e/support/use-system-under-test.js";
import { describeIfAvailable, itIfAvailable } from "../sandbox/environment.js";
import { chromiumRequirement, launchChromium, screenshot, seriousA11yViolations } from "./support/browser.js";

/**
 * Issue 13's take-over from the page (the same RPCs as `pushpals pause|shell|resume`), on the
 * whole embedded system with the scripted model: the agent asks a question; the person pauses
 * the job on its page, the answer is given, the page offers a command box once the runner says
 * the job is paused, a command runs in the job's sandbox and its output shows, the follow-up box
 * reaches the agent (the scripted model only goes on when it sees it), Resume hands the job back,
 * and it merges. Every step is an event with the page as its author.
 */
describeIfAvailable("taking over a job from the web UI", chromiumRequirement, () => {
  const sut = useSystemUnderTest();
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  itIfAvailable(
    "Pause, a command in the sandbox, a follow-up, Resume — then one merge",
    chromiumRequirement,
    async () => {
      const system = await sut.start({ mode: "embedded", script: "person-in-the-loop.jsonl", leaseSeconds: 10 });
      const { clients } = system;
      const sessionId = (await clients.sessions.createSession({ title: "take over from the page" })).session!.id;
      const work = sut.follow(sessionId, { timeoutMs: 120_000 });
      await clients.chat.send({ sessionId, text: "fix the failing test", author: "alice" });
      const jobId = (await streamedEvent(clients, sessionId, "agentQuestion", 60_000)).itemId;

      const page = await browser!.newPage({ viewport: { width: 1100, height: 900 } });
      await page.goto(`${system.url}/jobs/${jobId}`);
      const heading = page.getByRole("heading", { name: new RegExp(`Job ${jobId}`) });
      await heading.getByText("claimed").waitFor({ timeout: 15_000 });
      // Nothing to type into before the job is paused.
      expect(await page.getByLabel("Command to run in the job's sandbox").count()).toBe(0);
      await expect.poll(() => page.getByRole("button", { name: "Resume" }).isDisabled()).toBe(true);

      await page.getByRole("button", { name: "Pause" }).click();
      await page.getByRole("status").filter({ hasText: "pause requested" }).waitFor({ timeout: 10_000 });
      await clients.execution.answerQuestion({ jobId, text: "Numbers only, keep it simple.", author: "alice" });

      // The runner's heartbeat says "paused" once the agent is in its pause: the box appears.
      const commandBox = page.getByLabel("Command to run in the job's sandbox");
      await commandBox.waitFor({ timeout: 30_000 });
      await commandBox.fill("cat src/math.js");
      await page.getByRole("button", { name: "Run", exact: true }).click();
      const runs = page.getByRole("list", { name: "Commands run in the job" });
      await runs.getByText("return a - b").waitFor({ timeout: 30_000 });
      expect(await runs.locator("pre").first().getAttribute("data-exit-code")).toBe("0");
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, "job-taken-over");

      await page.getByLabel("Follow-up for the job").fill("use the existing helper: only fix add() in src/math.js");
      await page.getByRole("button", { name: "Send to job" }).click();
      await page.getByRole("status").filter({ hasText: "follow-up sent" }).waitFor({ timeout: 10_000 });
      await page.getByRole("button", { name: "Resume" }).click();
      await page.getByRole("status").filter({ hasText: "resumed" }).waitFor({ timeout: 10_000 });

      await work.merged;
      await expectOneMerge(system, sessionId, "web take-over");
      const log = await readAuditLog(clients, sessionId);
      const [paused, command, result, followUp, resumed] = stepsInOrder(log, ["jobPaused", "shellCommand", "shellResult", "jobFollowUp", "jobResumed", "completionCompleted"]);
      expect(paused!.payload.case === "jobPaused" && paused!.payload.value.author).toBe("web");
      expect(command!.payload.case === "shellCommand" && command!.payload.value).toMatchObject({ author: "web", command: "cat src/math.js" });
      expect(result!.payload.case === "shellResult" && result!.payload.value.exitCode).toBe(0);
      expect(followUp!.payload.case === "jobFollowUp" && followUp!.payload.value.author).toBe("web");
      expect(resumed!.payload.case === "jobResumed" && resumed!.payload.value.author).toBe("web");
      expect(eventsOf(log, "jobResumed")).toHaveLength(1);
      await page.close();
    },
    150_000,
  );
});
