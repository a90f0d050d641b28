import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalKind, ApprovalStatus, type Approval } from "../../gen/pushpals/v1/approvals_pb.js";
import { durationFromMs } from "../../shared/time.js";
import { git, initRepo } from "../support/git.js";
import { PUSHPALS_BIN } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { startChatControlPlane, type ChatControlPlane } from "./support/chat-control-plane.js";
import { runCli } from "./support/run-cli.js";
import { shellQuote, startTmux, type Tmux } from "./support/tmux.js";

// pushpals approvals | approve | deny, and chat's inline y/n, in a real pseudo-terminal (tmux).
describe("approvals from the terminal", () => {
  let cp: ChatControlPlane;
  let repo: TempDir;
  let tmux: Tmux;
  let sessionId: string;

  const command = (args: string) => {
    const vars = Object.entries({ PUSHPALS_SERVER_URL: cp.url, USER: "tester", TERM: "xterm-256color" }).map(([k, v]) => `${k}=${shellQuote(v)}`);
    return `env -u NO_COLOR -u FORCE_COLOR ${vars.join(" ")} ${shellQuote(process.execPath)} ${shellQuote(PUSHPALS_BIN)} ${args}; echo "EXIT=$?"; sleep 600`;
  };
  const ask = async (key: string, subject: string): Promise<Approval> =>
    (
      await cp.clients.approvals.requestApproval({
        sessionId,
        kind: ApprovalKind.PLAN,
        subject,
        rule: "approvals.plan.high: the plan's risk is high",
        idempotencyKey: key,
        timeout: durationFromMs(600_000),
      })
    ).approval!;
  const status = async (id: string) => (await cp.clients.approvals.getApproval({ id })).approval!;

  beforeAll(async () => {
    repo = await tempDir("pushpals-cli-approvals-");
    await initRepo(repo.path);
    cp = await startChatControlPlane({ repo: await git(repo.path, "rev-parse", "--show-toplevel") });
    sessionId = (await cp.clients.sessions.createSession({ title: "approvals from the terminal" })).session!.id;
    tmux = startTmux();
  });
  afterAll(async () => {
    await tmux?.close();
    await cp?.stop();
    await repo?.remove();
  });

  it("pushpals approvals lists what waits; approve and deny answer with who; deny needs -m", async () => {
    const first = await ask("cli:first", "Run the plan for the billing change?");
    const second = await ask("cli:second", "Push main_agents?");
    await tmux.start("list", command("approvals"), { cwd: repo.path });
    const screen = await tmux.waitFor("list", /EXIT=0/);
    expect(screen).toMatch(new RegExp(`${first.id} +plan +pending .*Run the plan for the billing change\\? +approvals\\.plan\\.high`));
    expect(screen.indexOf(first.id)).toBeLessThan(screen.indexOf(second.id));

    await tmux.start("deny-bare", command(`deny ${second.id}`), { cwd: repo.path });
    expect(await tmux.waitFor("deny-bare", /EXIT=2/)).toMatch(/pushpals deny: deny needs a reason: pushpals deny <id> -m "why not"/);
    expect((await status(second.id)).status).toBe(ApprovalStatus.PENDING);

    await tmux.start("approve", command(`approve ${first.id} -m 'looks fine'`), { cwd: repo.path });
    expect(await tmux.waitFor("approve", /EXIT=0/)).toContain(`${first.id} approved by tester: looks fine`);
    await tmux.start("deny", command(`deny ${second.id} -m 'not today'`), { cwd: repo.path });
    expect(await tmux.waitFor("deny", /EXIT=0/)).toContain(`${second.id} denied by tester: not today`);
    expect(await status(second.id)).toMatchObject({ status: ApprovalStatus.DENIED, answeredBy: "tester", comment: "not today" });

    // Answering the other way afterwards is refused with what happened.
    const again = await runCli(["approve", second.id], { cwd: repo.path, env: { PUSHPALS_SERVER_URL: cp.url, USER: "tester" } });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already denied by tester/);
    const all = await runCli(["approvals", "--all", "--json"], { cwd: repo.path, env: { PUSHPALS_SERVER_URL: cp.url } });
    expect((JSON.parse(all.stdout) as { approvals: { id: string }[] }).approvals.map((a) => a.id)).toEqual(expect.arrayContaining([first.id, second.id]));
  });

  it("pushpals chat shows approval prompts inline (also those waiting when it opens) and answers y / n <reason>", async () => {
    const waitingBefore = await ask("chat:before", "Run the plan for the README change?");
    await tmux.start("chat", command(`chat --session ${sessionId}`), { cwd: repo.path });
    await tmux.waitFor("chat", /type a message; Ctrl-D or \/quit to leave/);
    await tmux.waitFor("chat", new RegExp(`\\? approval ${waitingBefore.id} needed: Run the plan for the README change\\?`));
    await tmux.sendKeys("chat", "y", "Enter");
    await tmux.waitFor("chat", new RegExp(`✓ approval ${waitingBefore.id} approved by tester`));
    expect(await status(waitingBefore.id)).toMatchObject({ status: ApprovalStatus.APPROVED, answeredBy: "tester" });

    const live = await ask("chat:live", "Push the merge of job_x?");
    const screen = await tmux.waitFor("chat", new RegExp(`\\? approval ${live.id} needed: Push the merge of job_x\\?`));
    expect(screen).toMatch(/why: approvals\.plan\.high: the plan's risk is high; answer with y\/n/);
    await tmux.sendKeys("chat", "n wait for the release", "Enter");
    await tmux.waitFor("chat", new RegExp(`✗ approval ${live.id} denied by tester: wait for the release`));
    expect(await status(live.id)).toMatchObject({ status: ApprovalStatus.DENIED, comment: "wait for the release" });
    // With nothing waiting, "y" is an ordinary message again.
    await tmux.sendKeys("chat", "y", "Enter");
    await tmux.waitFor("chat", /request req_\w+ queued/);
    expect(cp.sent.at(-1)).toMatchObject({ sessionId, text: "y", author: "tester" });
    await tmux.sendKeys("chat", "C-d");
    await tmux.waitFor("chat", /EXIT=0/);
  });
});
