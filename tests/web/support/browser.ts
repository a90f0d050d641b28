import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { packageRoot } from "../../../shared/paths.js";
import type { Requirement } from "../../sandbox/environment.js";

/** Debian's chromium (.ci/run installs it); PUSHPALS_TEST_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.PUSHPALS_TEST_CHROMIUM ?? "/usr/bin/chromium";
export const WEB_DIST = join(packageRoot(), "web", "dist");

export const chromiumRequirement: Requirement = {
  name: "chromium and the built web UI",
  available: existsSync(CHROMIUM) && existsSync(join(WEB_DIST, "index.html")),
  howToGet: "apt-get install -y chromium, then npm run build (builds web/dist)",
};

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
}

/** Where the browser tests put a screenshot of each view (kept after the run, for a look). */
export const SCREENSHOTS = process.env.PUSHPALS_TEST_SCREENSHOTS ?? join(packageRoot(), "test-results", "web-screenshots");

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

/** Runs axe-core in the page and returns the serious and critical violations (the acceptance bar). */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate("typeof window.axe !== 'undefined'"))) await page.addScriptTag({ path: AXE });
  // A string, not a function: this file is compiled without the DOM's types.
  return (await page.evaluate(`(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  })()`)) as AxeViolation[];
}
