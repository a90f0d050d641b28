import { randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { describeIfAvailable, itIfAvailable } from "../sandbox/environment.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";
import { chromiumRequirement, launchChromium, screenshot, seriousA11yViolations, WEB_DIST } from "./support/browser.js";

/**
 * A server started with an auth token: the page asks for it, keeps it for the tab (session
 * storage, so a reload does not ask again) and sends it as a bearer header on every call.
 */
describeIfAvailable("the web UI on a server that needs a token", chromiumRequirement, () => {
  const token = randomBytes(24).toString("hex");
  let plane: TestControlPlane;
  let browser: Browser;

  beforeAll(async () => {
    plane = await startTestControlPlane({ staticDir: WEB_DIST, env: { PUSHPALS_AUTH_TOKEN: token } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await plane?.stop();
  });

  itIfAvailable(
    "asks for the token, then lists the sessions with it; a reload keeps it; a new tab context asks again",
    chromiumRequirement,
    async () => {
      const { session } = await plane.clients.sessions.createSession({ title: "behind a token" });
      const context = await browser.newContext();
      const page = await context.newPage();
      const bearers: string[] = [];
      page.on("request", (request) => {
        if (request.url().includes("/pushpals.v1.")) bearers.push(request.headers().authorization ?? "none");
      });
      await page.goto(`${plane.url}/`);
      const dialog = page.getByRole("dialog", { name: "This server needs a token" });
      await dialog.waitFor({ timeout: 15_000 });
      expect(bearers[0]).toBe("none");
      await screenshot(page, "token-prompt");
      expect(await seriousA11yViolations(page)).toEqual([]);

      await dialog.getByLabel("Token").fill(token);
      await dialog.getByRole("button", { name: "Use token" }).click();
      await page.getByTestId("session-picker").locator("option", { hasText: "behind a token" }).waitFor({ state: "attached", timeout: 15_000 });
      expect(bearers.at(-1)).toBe(`Bearer ${token}`);
      expect(await page.evaluate("sessionStorage.getItem('pushpals.token')")).toBe(token);

      await page.goto(`${plane.url}/chat/${session!.id}`);
      await page.getByTestId("connection").filter({ hasText: "live" }).waitFor({ timeout: 15_000 });
      expect(await dialog.count()).toBe(0);
      await context.close();

      // Session storage is per tab: a fresh context has no token and is asked again.
      const other = await browser.newPage();
      await other.goto(`${plane.url}/`);
      await other.getByRole("dialog", { name: "This server needs a token" }).waitFor({ timeout: 15_000 });
      await other.close();
    },
    60_000,
  );
});
