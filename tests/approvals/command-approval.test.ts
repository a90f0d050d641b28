import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApprovalKind, ApprovalStatus } from "../../gen/pushpals/v1/approvals_pb.js";
import type { ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { runAgent } from "../../services/runner/agent/agent-loop.js";
import type { AgentConversation } from "../../services/runner/agent/agent-types.js";
import { jobConversation } from "../../services/runner/job-conversation.js";
import { approvalsSection } from "../../shared/config/sections/approvals.js";
import { silentLogger } from "../../shared/log.js";
import { lastUserMessage, limits, recordingReporter, scene, scriptedModel, sentMessages, task, type Scene } from "../agent/support.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

const REMOVE = { content: "THOUGHT: clean up.\n\n```bash\nrm -rf keep.txt\n```" };
const SUBMIT = { content: "THOUGHT: done another way.\n\n```bash\necho PUSHPALS_SUBMIT && echo 'left keep.txt alone'\n```" };
const silent = silentLogger;

describe("[approvals] command rules in the agent loop", () => {
  let server: ScriptedModelServer | undefined;
  let current: Scene | undefined;
  afterEach(async () => {
    await server?.close();
    await current?.close();
    server = current = undefined;
  });

  it("a refused command does not run; the agent hears why and goes on", async () => {
    current = await scene("process");
    await writeFile(join(current.workspace.worktree, "keep.txt"), "precious\n");
    let model;
    ({ server, model } = await scriptedModel([REMOVE, { ...SUBMIT, match: { role: "user", contains: "That command was not run" } }]));
    const asked: string[] = [];
    const conversation: AgentConversation = {
      take: () => [],
      isPaused: () => false,
      waitWhilePaused: async () => ({ finish: false, author: "" }),
      ask: () => Promise.reject(new Error("no questions here")),
      approveCommand: async (command) => {
        asked.push(command);
        return command.includes("rm -rf") ? "the operator's approvals.command[0]: the command matches /rm -rf/, and it denies such commands" : undefined;
      },
    };
    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Tidy up."),
      limits: limits(),
      signal: AbortSignal.timeout(20_000),
      reporter: recordingReporter().reporter,
      conversation,
    });

    expect(outcome).toMatchObject({ status: "submitted", summary: "left keep.txt alone", steps: 2 });
    expect(asked).toEqual(["rm -rf keep.txt", "echo PUSHPALS_SUBMIT && echo 'left keep.txt alone'"]);
    expect(existsSync(join(current.workspace.worktree, "keep.txt"))).toBe(true);
    expect(outcome.trajectory.steps[0]).toMatchObject({ command: "rm -rf keep.txt", refused: expect.stringContaining("denies such commands") });
    expect(lastUserMessage(sentMessages(server)[1]!)).toContain("That command was not run: the operator's approvals.command[0]");
  });
});

describe("a job's command approvals through the control plane", () => {
  let cp: TestControlPlane;
  let sessionId: string;
  beforeAll(async () => {
    cp = await startTestControlPlane();
    sessionId = (await cp.clients.sessions.createSession({ title: "command approvals" })).session!.id;
  });
  afterAll(() => cp?.stop());

  const conversationFor = (jobId: string, rules: { pattern: string; action: "ask" | "deny" | "auto" }[]) =>
    jobConversation({
      sessions: cp.clients.sessions,
      sessionId,
      jobId,
      logger: silent,
      approvals: { client: cp.clients.approvals, policy: approvalsSection.parse({ command: rules }) },
    }).agent;

  it("no matching rule or auto runs at once; deny refuses without asking anyone", async () => {
    const agent = conversationFor("job_01HZZZZZZZZZZZZZZZZZZZZZZ1", [
      { pattern: "^npm install", action: "auto" },
      { pattern: "git push", action: "deny" },
    ]);
    const signal = AbortSignal.timeout(10_000);
    expect(await agent.approveCommand!("ls -la", 1, signal)).toBeUndefined();
    expect(await agent.approveCommand!("npm install left-pad", 2, signal)).toBeUndefined();
    expect(await agent.approveCommand!("git push origin HEAD", 3, signal)).toMatch(/approvals\.command\[1\]: the command matches \/git push\/, and it denies/);
    expect((await cp.clients.approvals.listApprovals({ sessionId })).approvals).toEqual([]);
  });

  it("ask waits for the person: approved runs, denied says who and why; each is an approval of kind COMMAND", async () => {
    const jobId = "job_01HZZZZZZZZZZZZZZZZZZZZZZ2";
    const agent = conversationFor(jobId, [{ pattern: "rm -rf", action: "ask" }]);
    const signal = AbortSignal.timeout(20_000);

    const first = agent.approveCommand!("rm -rf build", 1, signal);
    const pending = await waitForPending(1);
    expect(pending).toMatchObject({ kind: ApprovalKind.COMMAND, itemId: jobId, subject: `run \`rm -rf build\` in job ${jobId}`, status: ApprovalStatus.PENDING });
    await cp.clients.approvals.approve({ id: pending.id, answeredBy: "ada" });
    expect(await first).toBeUndefined();

    const second = agent.approveCommand!("rm -rf /tmp/x", 2, signal);
    const next = await waitForPending(1);
    await cp.clients.approvals.deny({ id: next.id, answeredBy: "bo", comment: "not outside the worktree" });
    expect(await second).toBe("not approved (denied by bo: not outside the worktree)");
  });

  async function waitForPending(count: number) {
    for (let tries = 0; tries < 100; tries++) {
      const { approvals } = await cp.clients.approvals.listApprovals({ sessionId, pendingOnly: true });
      if (approvals.length === count) return approvals[0]!;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("no pending approval appeared");
  }
});
