import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, expect } from "vitest";
import type { Browser } from "playwright-core";
import { EventSchema } from "../../gen/pushpals/v1/events_pb.js";
import { MessageSource } from "../../gen/pushpals/v1/kinds_pb.js";
import { describeIfAvailable, itIfAvailable } from "../sandbox/environment.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";
import { chromiumRequirement, launchChromium, screenshot, WEB_DIST } from "./support/browser.js";

const EVENTS = 10_000;

/**
 * A session of 10,000 events opens in the real page in under a second and is virtualized:
 * the DOM holds the rows in view, not 10,000, and scrolling to the top brings the first
 * message in without loading anything again.
 */
describeIfAvailable("a 10,000-event session in the web UI", chromiumRequirement, () => {
  let plane: TestControlPlane;
  let browser: Browser;
  let sessionId: string;
  let lastSeq: bigint;
  let smallSessionId: string;
  let smallLastSeq: bigint;

  beforeAll(async () => {
    plane = await startTestControlPlane({ staticDir: WEB_DIST });
    sessionId = (await plane.clients.sessions.createSession({ title: "ten thousand events" })).session!.id;
    for (let i = 0; i < EVENTS; i += 100) {
      const events = Array.from({ length: 100 }, (_, j) =>
        create(EventSchema, { payload: { case: "assistantMessage", value: { text: `message number ${i + j + 1}`, source: MessageSource.CHAT } } }),
      );
      const { events: stored } = await plane.clients.sessions.appendEvents({ sessionId, events });
      lastSeq = stored.at(-1)!.seq;
    }
    // The same page on a session of one message: what opening costs with no history at all.
    smallSessionId = (await plane.clients.sessions.createSession({ title: "one event" })).session!.id;
    const { events: small } = await plane.clients.sessions.appendEvents({
      sessionId: smallSessionId,
      events: [create(EventSchema, { payload: { case: "assistantMessage", value: { text: "the only message", source: MessageSource.CHAT } } })],
    });
    smallLastSeq = small.at(-1)!.seq;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await plane?.stop();
  });

  itIfAvailable(
    "shows the newest message within 1 s of navigation with under 100 rows in the DOM, and the first one after scrolling up",
    chromiumRequirement,
    async () => {
      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      // Milliseconds from the start of a navigation to the session's newest row on screen, read in
      // the page. A first load warms the browser's cache and the server's statements, as a person's
      // second visit would; then the best of five counts (the machine is shared: a slow sample is
      // another process's doing, five slow ones are ours).
      const bestOpen = async (id: string, seq: bigint): Promise<{ best: number; all: number[] }> => {
        const all: number[] = [];
        for (let i = 0; i < 6; i++) {
          await page.goto(`${plane.url}/chat/${id}`);
          await page.locator(`[data-testid=timeline-row][data-seq="${seq}"]`).waitFor({ timeout: 15_000 });
          if (i > 0) all.push(Math.round(Number(await page.evaluate("performance.now()"))));
        }
        return { best: Math.min(...all), all };
      };
      const empty = await bestOpen(smallSessionId, smallLastSeq);
      const large = await bestOpen(sessionId, lastSeq);
      const openedMs = large.best;
      expect(await page.getByText(`message number ${EVENTS}`, { exact: true }).isVisible()).toBe(true);
      const timeline = page.getByTestId("timeline");
      // The older events load behind the newest ones; then every one is a row of the list.
      await page.locator(`[data-testid=timeline][data-rows="${EVENTS}"]`).waitFor({ timeout: 15_000 });
      const rendered = await page.locator("[data-testid=timeline-row]").count();
      expect(rendered, "rows in the DOM").toBeGreaterThan(5);
      expect(rendered, "rows in the DOM").toBeLessThan(100);
      console.log(
        `[web] newest row visible after navigation: ${EVENTS} events ${large.all.join(" / ")} ms (best ${large.best}), one event ${empty.all.join(" / ")} ms (best ${empty.best}); ${rendered} rows rendered`,
      );
      expect(openedMs, "10,000 events open within 1 s").toBeLessThan(1000);
      // The history costs next to nothing on top of opening the page at all.
      expect(large.best - empty.best, "what 10,000 events add to opening the page").toBeLessThan(400);
      await screenshot(page, "chat-10000-events");

      await timeline.evaluate((el) => {
        el.scrollTop = 0;
      });
      await page.getByText("message number 1", { exact: true }).waitFor({ timeout: 5000 });
      expect(await page.locator("[data-testid=timeline-row]").count()).toBeLessThan(100);
      await page.close();
    },
    60_000,
  );
});
