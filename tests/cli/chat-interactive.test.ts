import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { git, initRepo } from "../support/git.js";
import { PUSHPALS_BIN } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { HELP_REPLY, startChatControlPlane, type ChatControlPlane } from "./support/chat-control-plane.js";
import { integrate, MERGED_SHA, planRequest, PR_URL, runJob } from "./support/simulated-pipeline.js";
import { shellQuote, startTmux, type Tmux } from "./support/tmux.js";

// The interactive chat in a real pseudo-terminal (tmux), driven by keystrokes.
describe("pushpals chat (interactive, in a terminal)", () => {
  let cp: ChatControlPlane;
  let repo: TempDir;
  let tmux: Tmux;

  const command = (args: string, env: Record<string, string> = {}) => {
    const vars = Object.entries({ PUSHPALS_SERVER_URL: cp.url, USER: "tester", TERM: "xterm-256color", ...env }).map(([k, v]) => `${k}=${shellQuote(v)}`);
    return `env -u NO_COLOR -u FORCE_COLOR ${vars.join(" ")} ${shellQuote(process.execPath)} ${shellQuote(PUSHPALS_BIN)} ${args}; echo "EXIT=$?"; sleep 600`;
  };
  /** Non-empty screen lines, trailing spaces trimmed. */
  const screenLines = (screen: string) =>
    screen
      .split("\n")
      .map((line) => line.trimEnd())
      .filter(Boolean);

  beforeAll(async () => {
    repo = await tempDir("pushpals-cli-tty-");
    await initRepo(repo.path);
    cp = await startChatControlPlane({ repo: await git(repo.path, "rev-parse", "--show-toplevel") });
    tmux = startTmux();
  });
  afterAll(async () => {
    await tmux?.close();
    await cp?.stop();
    await repo?.remove();
  });

  it("shows the assistant's reply, live progress and the merge, keeps what is being typed, and leaves with Ctrl-D", async () => {
    await tmux.start("chat", command("chat"), { cwd: repo.path });
    await tmux.waitFor("chat", /type a message; Ctrl-D or \/quit to leave/);

    await tmux.sendKeys("chat", "hello", "Enter");
    let screen = await tmux.waitFor("chat", new RegExp(`pushpals› ${HELP_REPLY.replace(/[.:]/g, "\\$&")}`));
    expect(screenLines(screen).filter((line) => line === "› hello")).toHaveLength(1);

    await tmux.sendKeys("chat", "add a greeting", "Enter");
    await tmux.waitFor("chat", /request req_\w+ queued/);
    // Half a message typed while the work's events arrive: the prompt keeps it, at the bottom.
    await tmux.sendKeys("chat", "-l", "and a fare");
    await tmux.waitFor("chat", /› and a fare$/m);
    await planRequest(cp.clients, { jobs: 1, say: "On it." });
    const job = runJob(cp.clients, { logLines: ["a", "b", "c", "d", "e"], lineDelayMs: 300 });
    // The status line: a spinner and the job's latest step or log line, just above the prompt.
    const status = /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] job job_\w+ (agent step 1|› [a-e])$/;
    screen = await tmux.waitFor("chat", new RegExp(status.source, "m"));
    expect(screenLines(screen).slice(-2)).toEqual([expect.stringMatching(status), "› and a fare"]);
    await tmux.waitFor("chat", /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] job job_\w+ › [c-e]$/m);
    await job;
    await integrate(cp.clients);
    screen = await tmux.waitFor("chat", new RegExp(`${MERGED_SHA.slice(0, 10)} merged into main_agents`));
    const lines = screenLines(screen);
    expect(lines.at(-1)).toBe("› and a fare");
    expect(
      lines.some((line) => /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/.test(line)),
      "the spinner line is gone once nothing runs",
    ).toBe(false);
    const order = [
      /^› add a greeting$/,
      /^pushpals› On it\.$/,
      /^job job_\w+ queued/,
      /^ {2}step 1: \$ grep -rn TODO src/,
      /^✓ job job_\w+ done/,
      new RegExp(`^✓ ${MERGED_SHA.slice(0, 10)} merged into main_agents, pushed — ${PR_URL}$`),
    ];
    const positions = order.map((pattern) => lines.findIndex((line) => pattern.test(line)));
    expect(
      positions.every((position) => position >= 0),
      screen,
    ).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);

    // Finish the half-typed line; it is sent as typed.
    await tmux.sendKeys("chat", "-l", "well");
    await tmux.sendKeys("chat", "Enter");
    screen = await tmux.waitFor("chat", /^› and a farewell\n(.*\n)*request req_\w+ queued/m);
    expect(screenLines(screen).at(-1)).toBe("›");
    expect(cp.sent.at(-1)).toMatchObject({ text: "and a farewell", author: "tester" });

    await tmux.sendKeys("chat", "C-d");
    screen = await tmux.waitFor("chat", /EXIT=\d+/);
    expect(screen).toMatch(/EXIT=0/);
  });

  it("colours only a terminal, and not with NO_COLOR", async () => {
    await tmux.start("colour", command("sessions"), { cwd: repo.path });
    await tmux.waitFor("colour", /EXIT=0/);
    expect(await tmux.capture("colour", { escapes: true })).toMatch(/\u001b\[[0-9;]*m/);
    await tmux.start("plain", command("sessions", { NO_COLOR: "1" }), { cwd: repo.path });
    await tmux.waitFor("plain", /EXIT=0/);
    expect(await tmux.capture("plain", { escapes: true })).not.toMatch(/\u001b\[[0-9;]*m/);
  });
});
