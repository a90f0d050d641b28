import { afterEach, describe, expect, it } from "vitest";
import { shellQuote, startTmux, type Tmux } from "../cli/support/tmux.js";
import { PUSHPALS_BIN } from "../support/pushpals-process.js";
import { eventsOf, readAuditLog } from "./support/audit-log.js";
import { startSystem, type SystemUnderTest } from "./support/system-under-test.js";

/**
 * Issue 13's CLI flows in terminals (tmux) against a real `pushpals up`: the agent's question shows
 * in `pushpals chat`, `pushpals pause` stops the job, the person answers in chat with `@job_… …`,
 * looks inside with `pushpals shell`, sends a follow-up the same way and hands the job back with
 * `pushpals resume`; the chat then shows the merge.
 */
describe("the person in the loop through the terminal client", () => {
  let system: SystemUnderTest | undefined;
  let tmux: Tmux | undefined;
  afterEach(async () => {
    await tmux?.close();
    await system?.stop();
    system = tmux = undefined;
  });

  it("question in chat, pause, @job answer, shell commands, @job follow-up, resume, merge", async () => {
    system = await startSystem({ script: "person-in-the-loop.jsonl", mode: "embedded", leaseSeconds: 10 });
    tmux = startTmux();
    const terminal = tmux;
    const env = { PUSHPALS_SERVER_URL: system.url, USER: "carol", TERM: "xterm-256color", NO_COLOR: "1" };
    const pushpals = `env ${Object.entries(env)
      .map(([name, value]) => `${name}=${shellQuote(value)}`)
      .join(" ")} ${shellQuote(process.execPath)} ${shellQuote(PUSHPALS_BIN)}`;
    // Each window's shell stays after its command so the exit code can be read off the screen.
    const open = (name: string, args: string) => terminal.start(name, `${pushpals} ${args}; echo "EXIT=$?"; sleep 600`, { cwd: system!.repo, rows: 60 });
    const type = async (name: string, text: string) => {
      await terminal.sendKeys(name, "-l", text);
      await terminal.sendKeys(name, "Enter");
    };

    await open("chat", "chat");
    await tmux.waitFor("chat", /type a message; Ctrl-D or \/quit to leave/, 30_000);
    await type("chat", "fix the failing test");
    const asked = await tmux.waitFor("chat", /\? job (job_\w{26}) asks: Should add\(\) also accept numeric strings/, 60_000);
    const jobId = /\? job (job_\w{26}) asks/.exec(asked)![1]!;
    expect(asked).toContain(`answer with: @${jobId} <answer>`);

    await open("pause", `pause ${jobId} --reason 'a look first'`);
    expect(await tmux.waitFor("pause", /EXIT=\d+/, 30_000)).toMatch(/pauses after its current command[\s\S]*EXIT=0/);
    await tmux.waitFor("chat", new RegExp(`⏸ job ${jobId} paused by carol: a look first`), 30_000);

    await type("chat", `@${jobId} Numbers only, keep it simple.`);
    await tmux.waitFor("chat", new RegExp(`carol› answered job ${jobId}: Numbers only, keep it simple\\.`), 30_000);

    await open("shell", `shell ${jobId}`);
    await tmux.waitFor("shell", /commands run in job .*'s sandbox/, 30_000);
    await type("shell", "cat src/math.js");
    await tmux.waitFor("shell", /return a - b;/, 30_000);
    await type("shell", "node test.js");
    await tmux.waitFor("shell", /expected 5, got -1[\s\S]*exit 1/, 30_000);
    await type("shell", "exit");
    expect(await tmux.waitFor("shell", /EXIT=\d+/, 30_000)).toMatch(/EXIT=0/);
    await tmux.waitFor("chat", new RegExp(`carol in job ${jobId}: \\$ cat src/math\\.js`), 30_000);

    await type("chat", `@${jobId} use the existing helper: only fix add() in src/math.js`);
    await tmux.waitFor("chat", new RegExp(`carol› to job ${jobId}: use the existing helper`), 30_000);

    await open("resume", `resume ${jobId}`);
    expect(await tmux.waitFor("resume", /EXIT=\d+/, 30_000)).toMatch(/is back with its agent[\s\S]*EXIT=0/);
    await tmux.waitFor("chat", /✓ [0-9a-f]{7,} merged into main_agents, pushed/, 60_000);

    // A second pause of a job that is gone says why and what to do.
    await open("late", `pause ${jobId}`);
    expect(await tmux.waitFor("late", /EXIT=\d+/, 30_000)).toMatch(/is completed, not running[\s\S]*EXIT=[1-9]/);

    const [session] = (await system.clients.sessions.listSessions({})).sessions;
    const log = await readAuditLog(system.clients, session!.id);
    expect(eventsOf(log, "questionAnswered")[0]?.payload.value.author).toBe("carol");
    expect(eventsOf(log, "jobFollowUp")[0]?.payload.value.author).toBe("carol");
    await tmux.sendKeys("chat", "C-d");
    expect(await tmux.waitFor("chat", /EXIT=\d+/, 30_000)).toMatch(/EXIT=0/);
  }, 150_000);
});
