import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AutonomyMode, ObjectiveStatus } from "../../gen/pushpals/v1/autonomy_pb.js";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import type { ScriptedReplyInput } from "../../dev/fake-model/scripted-script.js";
import { outdatedDeps } from "../../services/planner/autonomy/collectors/outdated-deps.js";
import { runPass, type PassDeps } from "../../services/planner/autonomy/dispatcher.js";
import { loadConfig } from "../../shared/config/load.js";
import { createLogger } from "../../shared/log.js";
import { durationFromMs } from "../../shared/time.js";
import { finished, jobsOf, plannerScript, scene, sentMessages, waitForItem, type Scene } from "../planner/support.js";
import { processSandboxCommands } from "./fixtures/repo-commands.js";

const ANSWER = "yes, but stay on left-pad 1.x and leave the lockfile format alone";

/**
 * A person answers an autonomy question with a yes and a comment: the comment reaches the
 * dispatched request, and the real planner's prompt carries it to the model — the scripted
 * model server only answers a prompt that contains it, so without it the plan never comes.
 */
describe("a question answered yes with text", () => {
  let current: Scene;
  const holder = "planner-answer";
  const deps = (): PassDeps => ({
    clients: current.cp.clients,
    config: loadConfig({
      env: {},
      overrides: {
        "autonomy.commands.outdated": [{ name: "npm", command: `echo '{"left-pad":{"current":"1.0.0","wanted":"1.0.0","latest":"1.3.0"}}'` }],
        "autonomy.todoMaxFiles": 0,
        "autonomy.kinds.failedRequest.enabled": false,
      },
    }).autonomy,
    collectors: [outdatedDeps],
    runCommand: processSandboxCommands(),
    repoPath: current.repo.path,
    baseBranch: "main",
    holder,
    logger: createLogger("autonomy-test"),
  });
  const signal = new AbortController().signal;

  beforeAll(async () => {
    // The fixture's valid plan, given only to a planner prompt whose user message has the person's words.
    const [planLine] = (await readFile(plannerScript("plan-valid.jsonl"), "utf8")).split("\n").filter((line) => line.startsWith("{"));
    const plan = JSON.parse(planLine!) as ScriptedReplyInput;
    current = await scene({ script: [{ ...plan, match: { role: "user", contains: ANSWER } }] });
  });
  afterAll(async () => {
    await current?.close();
  });

  it("the comment is on the objective, in the request text, and in the planner's prompt, which the scripted model plans", async () => {
    const { autonomy, approvals, queues } = current.cp.clients;
    await autonomy.acquireDispatchLease({ holder, ttl: durationFromMs(60_000) });
    await autonomy.setAutonomyMode({ mode: AutonomyMode.ON, by: "test" });
    expect((await runPass(deps(), signal)).summary).toMatch(/^asked about outdated:left-pad \(approval apr_/);
    const asked = (await autonomy.getAutonomyStatus({})).objectives[0]!;
    await approvals.approve({ id: asked.approvalId, answeredBy: "ann", comment: ANSWER });

    expect((await runPass(deps(), signal)).summary).toMatch(/^dispatched approved outdated:left-pad as req_/);
    const objective = (await autonomy.getAutonomyStatus({})).objectives.find((o) => o.id === asked.id)!;
    expect(objective).toMatchObject({ status: ObjectiveStatus.DISPATCHED, comment: `approved by ann: ${ANSWER}` });
    const { item } = await queues.getItem({ itemId: objective.requestId });
    expect(item?.payload?.kind.value).toMatchObject({ origin: "autonomy", text: expect.stringContaining(`ann approved this objective and said:\n${ANSWER}`) });

    current.startPlanner();
    const request = await waitForItem(current.cp.clients, objective.requestId, finished);
    expect(request.status, request.lastError).toBe(ItemStatus.COMPLETED);
    expect(await jobsOf(current.cp.clients, objective.sessionId)).toHaveLength(1);
    const prompts = sentMessages(current.model);
    expect(prompts).toHaveLength(1);
    const lastUser = prompts[0]!.filter((m) => m.role === "user").at(-1)!.content;
    expect(lastUser).toContain(ANSWER);
    expect(lastUser).toContain("left-pad 1.0.0 → 1.3.0");
  });
});
