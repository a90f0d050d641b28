import { afterEach, describe, expect, it } from "vitest";
import { PUSHPALS_BIN } from "../support/pushpals-process.js";
import { shellQuote, startTmux, type Tmux } from "../cli/support/tmux.js";
import { commitsOnIntegrationBranch, jobTrailers } from "./support/remote-branch.js";
import { startSystem, type SystemUnderTest } from "./support/system-under-test.js";

describe("pushpals chat in a terminal (tmux) against a real pushpals up", () => {
  let system: SystemUnderTest | undefined;
  let tmux: Tmux | undefined;

  afterEach(async () => {
    await tmux?.close();
    await system?.stop();
    system = tmux = undefined;
  });

  it("a typed message gets the planner's reply, the agent's steps and the merge line; Ctrl-D leaves with 0", async () => {
    system = await startSystem({ script: "fix-math.jsonl", mode: "embedded", leaseSeconds: 10 });
    tmux = startTmux();
    const env = { PUSHPALS_SERVER_URL: system.url, USER: "e2e", TERM: "xterm-256color", NO_COLOR: "1" };
    const vars = Object.entries(env).map(([name, value]) => `${name}=${shellQuote(value)}`);
    // The shell stays after the chat ends so its exit code can be read off the screen.
    await tmux.start("chat", `env ${vars.join(" ")} ${shellQuote(process.execPath)} ${shellQuote(PUSHPALS_BIN)} chat; echo "EXIT=$?"; sleep 600`, { cwd: system.repo, rows: 60 });
    await tmux.waitFor("chat", /type a message; Ctrl-D or \/quit to leave/);

    await tmux.sendKeys("chat", "-l", "fix the failing test");
    await tmux.sendKeys("chat", "Enter");
    await tmux.waitFor("chat", /pushpals› The test fails because add\(\) subtracts/, 30_000);
    const screen = await tmux.waitFor("chat", /✓ [0-9a-f]{7,} merged into main_agents, pushed/, 60_000);

    const lines = screen.split("\n").map((line) => line.trimEnd());
    const order = [
      /^› fix the failing test$/,
      /^pushpals› The test fails because add\(\) subtracts/,
      /^ {2}step 1: \$ node test\.js/,
      /^ {2}check ✓ node test\.js/,
      /^✓ job job_\w+ done/,
      /^✓ [0-9a-f]+ merged into main_agents, pushed/,
    ];
    const positions = order.map((pattern) => lines.findIndex((line) => pattern.test(line)));
    expect(
      positions.every((position) => position >= 0),
      screen,
    ).toBe(true);
    expect(
      [...positions].sort((a, b) => a - b),
      screen,
    ).toEqual(positions);

    // The line names the commit that is now on the remote.
    const [commit] = await commitsOnIntegrationBranch(system.remote);
    expect(jobTrailers(commit!.message)).toHaveLength(1);
    expect(screen).toContain(`✓ ${commit!.sha.slice(0, 7)}`);

    await tmux.sendKeys("chat", "C-d");
    expect(await tmux.waitFor("chat", /EXIT=\d+/)).toMatch(/EXIT=0/);
  }, 90_000);
});
