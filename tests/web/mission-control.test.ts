import { create } from "@bufbuild/protobuf";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { freePort } from "../../cli/free-port.js";
import type { Clients } from "../../shared/clients.js";
import { EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { MessageSource } from "../../gen/pushpals/v1/kinds_pb.js";
import { chatRows } from "../../web/src/state/chat-rows.js";
import { startSystem, type SystemUnderTest } from "../e2e/support/system-under-test.js";
import { describeIfAvailable, itIfAvailable } from "../sandbox/environment.js";
import { chromiumRequirement, launchChromium, screenshot, seriousA11yViolations } from "./support/browser.js";

/**
 * Issue 15's acceptance in a real Chromium against the whole `pushpals up` (embedded, scripted
 * model, the demo project whose test fails): a person types in the page, approves the high-risk
 * plan there, and watches the job, its logs, its diff and the merge arrive, with no reload; then
 * the server restarts under the page, which reconnects and resumes with no duplicate rows. Every
 * view gets a screenshot and an axe scan with no serious or critical violation.
 */
describeIfAvailable("the web UI on the whole system", chromiumRequirement, () => {
  let system: SystemUnderTest | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    // A fixed port: the page must find the restarted server where the first one was.
    const port = await freePort("127.0.0.1");
    system = await startSystem({ mode: "embedded", script: "fix-math-high-risk.jsonl", leaseSeconds: 10, env: { PUSHPALS_PORT: String(port) } });
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  itIfAvailable(
    "message → reply → plan approved in the page → job, logs, diff, merge without a reload; a server restart resumes with no duplicates; every view passes axe",
    chromiumRequirement,
    async () => {
      const sut = system!;
      const page = await browser!.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: "dark" });
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(String(error)));
      await page.goto(`${sut.url}/`);
      // Gone if anything reloads the page.
      await page.evaluate("window.__noReload = 'same page'");

      await page.getByLabel("Message").fill("fix the failing test");
      await page.getByRole("button", { name: "Send" }).click();
      await page.locator("[data-kind=user]", { hasText: "fix the failing test" }).waitFor({ timeout: 15_000 });
      const sessionId = decodeURIComponent(new URL(page.url()).pathname.split("/")[2] ?? "");
      expect(sessionId).toMatch(/\S/);

      // The plan, readable, and its approval, answerable inline.
      const plan = page.getByRole("region", { name: "Plan", exact: true });
      await plan.waitFor({ timeout: 30_000 });
      await expect.poll(() => plan.innerText()).toMatch(/risk high/);
      const planText = await plan.innerText();
      expect(planText).toContain("node test.js exits 0");
      expect(planText).toContain("src/**");
      await page.locator("[data-kind=assistant]", { hasText: "add() subtracts" }).waitFor({ timeout: 15_000 });
      const approval = page.getByTestId("approval");
      await approval.getByRole("button", { name: "Approve" }).waitFor({ timeout: 30_000 });
      await checkView(page, "chat-approval");
      await approval.getByRole("button", { name: "Approve" }).click();
      await approval.getByText(/approved by web/).waitFor({ timeout: 15_000 });

      // The job appears in the timeline; its page shows the live logs and then the diff.
      const jobRow = page.getByRole("link", { name: /^job job_\S+ enqueued/ });
      await jobRow.waitFor({ timeout: 30_000 });
      const jobId = /job (job_\S+)/.exec((await jobRow.textContent()) ?? "")?.[1] ?? "";
      expect(jobId).toMatch(/^job_/);
      await jobRow.click();
      await page.getByRole("heading", { name: new RegExp(`Job ${jobId}`) }).waitFor();
      await page.waitForFunction("Number(document.querySelector('[data-testid=logs]')?.dataset.lines) > 0", undefined, { timeout: 60_000 });
      const diff = page.getByTestId("diff");
      await diff.waitFor({ timeout: 60_000 });
      expect(await diff.innerText()).toContain("src/math.js");
      await diff.getByText("a + b").first().waitFor();
      await page.getByLabel("Split").check();
      await diff.locator("td.code.del", { hasText: "a - b" }).first().waitFor();
      await page.getByLabel("Search the logs").fill("ok add(2, 3) = 5");
      await page.getByTestId("logs").getByText("ok add(2, 3) = 5").first().waitFor({ timeout: 30_000 });
      await page.getByRole("region", { name: "Trajectory", exact: true }).getByText("node test.js").first().waitFor({ timeout: 30_000 });
      await checkView(page, "job");

      // Back in the chat (the tab, not a reload), the merge arrives.
      await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Chat" }).click();
      await page.getByText(/^merge \S+ completed: [0-9a-f]{10} on /).waitFor({ timeout: 90_000 });
      await checkView(page, "chat");
      await page.setViewportSize({ width: 390, height: 844 });
      await checkView(page, "chat-phone");
      await page.getByRole("button", { name: /Switch to the light theme/ }).click();
      await checkView(page, "chat-phone-light");
      await page.setViewportSize({ width: 1280, height: 900 });

      for (const [tab, check] of [
        ["Queues", "Wait p50 / p95"],
        ["Jobs", jobId],
        ["Workers", "online"],
        ["Integration", "merged"],
        ["Autonomy", "Dispatch lease"],
        ["System", "sqlite"],
      ] as const) {
        await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: tab }).click();
        await page.getByRole("main").getByText(check).first().waitFor({ timeout: 15_000 });
        await checkView(page, tab.toLowerCase());
      }
      // The autonomy switch from the page: freezing it shows at once (the view refreshes after the call).
      await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Autonomy" }).click();
      await page.getByRole("button", { name: "Freeze 1 h" }).click();
      await page.getByTestId("autonomy-mode").getByText("frozen").waitFor({ timeout: 15_000 });
      await page.getByRole("button", { name: "Turn off" }).click();
      await page.getByTestId("autonomy-mode").getByText("off").waitFor({ timeout: 15_000 });
      await page.getByRole("button", { name: /Switch to the dark theme/ }).click();

      // The server restarts under the page (same port): it reconnects and resumes from its cursor.
      await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Chat" }).click();
      const timeline = page.getByTestId("timeline");
      const rowsBefore = Number(await timeline.getAttribute("data-rows"));
      const { clients } = await sut.restart();
      await page
        .getByTestId("connection")
        .filter({ hasText: /live \(resumed 1×\)/ })
        .waitFor({ timeout: 45_000 });
      await clients.sessions.appendEvents({
        sessionId,
        events: [create(EventSchema, { payload: { case: "assistantMessage", value: { text: "written after the restart", source: MessageSource.SUPERVISOR } } })],
      });
      await page.locator("[data-kind=assistant]", { hasText: "written after the restart" }).waitFor({ timeout: 15_000 });
      const expected = chatRows(await allEvents(clients, sessionId)).length;
      expect(expected).toBeGreaterThan(rowsBefore);
      await expect.poll(async () => Number(await timeline.getAttribute("data-rows")), { timeout: 10_000 }).toBe(expected);
      const seqs = await page.locator("[data-testid=timeline-row]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-seq")));
      expect(new Set(seqs).size, "no row twice").toBe(seqs.length);
      await timeline.evaluate((el) => {
        el.scrollTop = 0;
      });
      await page.locator("[data-kind=user]", { hasText: "fix the failing test" }).waitFor();
      expect(await page.locator("[data-kind=user]", { hasText: "fix the failing test" }).count(), "the first message once").toBe(1);

      expect(await page.evaluate("window.__noReload")).toBe("same page");
      expect(pageErrors).toEqual([]);
      await page.close();
    },
    240_000,
  );

  async function checkView(page: Page, name: string): Promise<void> {
    await screenshot(page, name);
    expect(await seriousA11yViolations(page), `axe on the ${name} view`).toEqual([]);
  }
});

async function allEvents(clients: Clients, sessionId: string): Promise<Event[]> {
  const events: Event[] = [];
  for (let after = 0n; ; ) {
    const page = await clients.sessions.listEvents({ sessionId, afterSeq: after, limit: 1000 });
    events.push(...page.events);
    if (!page.hasMore) return events;
    after = page.nextAfterSeq;
  }
}
