import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { git, initRepo } from "../support/git.js";
import { PUSHPALS_BIN } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { startChatControlPlane, type ChatControlPlane } from "./support/chat-control-plane.js";
import { shellQuote, startTmux, type Tmux } from "./support/tmux.js";

const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

/** `pushpals ARGS` in a shell that stays after it ends, printing the exit code where the screen shows it. */
function command(args: string, env: Record<string, string>): string {
  const vars = Object.entries({ TERM: "xterm-256color", USER: "tester", PUSHPALS_LOG_LEVEL: "info", ...env }).map(([k, v]) => `${k}=${shellQuote(v)}`);
  return `env -u NO_COLOR -u FORCE_COLOR -u PUSHPALS_LOG_FORMAT ${vars.join(" ")} ${shellQuote(process.execPath)} ${shellQuote(PUSHPALS_BIN)} ${args}; echo "EXIT=$?"; sleep 600`;
}

// What a person sees in a real terminal (tmux): the start-up logs and Ctrl-C while following work.
describe("pushpals in a terminal", () => {
  let repo: TempDir;
  let tmux: Tmux;

  beforeAll(async () => {
    repo = await tempDir("pushpals-tty-");
    await initRepo(repo.path);
    tmux = startTmux();
  });
  afterAll(async () => {
    await tmux?.close();
    await repo?.remove();
  });

  it("up logs short coloured lines on a terminal, not JSON; --log-format json gives JSON there", async () => {
    const env = { PUSHPALS_PORT: "0", PUSHPALS_SANDBOX_DRIVER: "process", PUSHPALS_DATA_DIR: `${repo.path}/.pushpals-pretty` };
    await tmux.start("up", command("up", env), { cwd: repo.path, columns: 200 });
    let screen = await tmux.waitFor("up", /child "integration" started/, 30_000);
    expect(screen).toMatch(/^pushpals is up on /m);
    expect(screen).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: sessions: control plane listening/m);
    expect(screen).not.toMatch(/"level":/);
    expect(await tmux.capture("up", { escapes: true }), "the level is coloured").toMatch(/\u001b\[[0-9;]*mINFO/);
    await tmux.sendKeys("up", "C-c");
    screen = await tmux.waitFor("up", /EXIT=\d+/, 30_000);
    expect(screen).toMatch(/EXIT=0/);

    await tmux.start("up-json", command("up --log-format json", { ...env, PUSHPALS_DATA_DIR: `${repo.path}/.pushpals-json` }), { cwd: repo.path, columns: 400 });
    screen = await tmux.waitFor("up-json", /"msg":"child \\"integration\\" started"/, 30_000);
    expect(screen).not.toMatch(/^\[\d\d:\d\d:\d\d\] INFO/m);
    await tmux.sendKeys("up-json", "C-c");
    await tmux.waitFor("up-json", /EXIT=0/, 30_000);
  }, 120_000);

  describe("Ctrl-C during chat --wait", () => {
    let cp: ChatControlPlane;
    beforeAll(async () => {
      cp = await startChatControlPlane({ repo: await git(repo.path, "rev-parse", "--show-toplevel") });
    });
    afterAll(async () => {
      await cp?.stop();
    });

    it("clears the spinner, says the request goes on and how to follow it, and exits 130", async () => {
      // No planner runs here: the request waits in its queue, the spinner turns.
      await tmux.start("wait", command('chat -m "add a greeting" --wait --new', { PUSHPALS_SERVER_URL: cp.url }), { cwd: repo.path, columns: 120 });
      const waiting = await tmux.waitFor("wait", new RegExp(`${SPINNER.source} request req_\\w+ waiting for the planner`));
      const requestId = /request (req_\w+) waiting/.exec(waiting)![1]!;
      await tmux.sendKeys("wait", "C-c");
      const screen = await tmux.waitFor("wait", /EXIT=\d+/);
      expect(screen).toMatch(/EXIT=130/);
      expect(screen).toContain(`pushpals chat: stopped following; ${requestId} goes on without you`);
      expect(screen).toMatch(/follow it with `pushpals chat`/);
      expect(screen).toContain(`pushpals cancel ${requestId}`);
      expect(screen, "the spinner line is gone").not.toMatch(SPINNER);
      // It went on: the request is still there, pending.
      const { item } = await cp.clients.queues.getItem({ itemId: requestId });
      expect(item?.id).toBe(requestId);
    });
  });
});
