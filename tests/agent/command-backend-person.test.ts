import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { AgentConversation, PersonMessage } from "../../services/runner/agent/agent-types.js";
import { cliQuestion } from "../../services/runner/agent/cli-question.js";
import { runCommandAgent } from "../../services/runner/agent/command-backend.js";
import { shellQuote } from "../../services/runner/agent/command-template.js";
import { limits, recordingReporter, scene, task, type Scene } from "./support.js";

const GREETING_CLI = fileURLToPath(new URL("./fixtures/greeting-cli.sh", import.meta.url));

let current: Scene | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/**
 * The person as the runner relays them: answers the CLI's question, and sends a follow-up that
 * "arrives while the CLI runs" (it is there once the answered run wrote greeting.txt).
 */
function person(worktree: string) {
  const asked: { question: string; step: number }[] = [];
  let followedUp = false;
  const conversation: AgentConversation = {
    take(): PersonMessage[] {
      if (followedUp || !existsSync(join(worktree, "greeting.txt"))) return [];
      followedUp = true;
      return [{ kind: "follow_up", text: "shout it: capitals please", author: "erin" }];
    },
    isPaused: () => false,
    waitWhilePaused: async () => ({ finish: false, author: "" }),
    async ask(question, step) {
      asked.push({ question, step });
      return { kind: "answer", text: "Say hi.", author: "dana" };
    },
    earlier: async () => [{ kind: "follow_up", text: "keep it to one line", author: "erin" }],
  };
  return { conversation, asked };
}

describe("the command backend and the person in the loop", () => {
  it("a PUSHPALS_ASK line asks the person; the CLI runs again with the answer, and again with a follow-up that came while it ran", async () => {
    current = await scene("process");
    const them = person(current.workspace.worktree);
    const recorded = recordingReporter();
    const outcome = await runCommandAgent({
      sandbox: current.sandbox,
      task: task("Write a greeting to greeting.txt.", { validationSteps: ["grep -qx HI greeting.txt"] }),
      limits: limits(),
      signal: AbortSignal.timeout(20_000),
      reporter: recorded.reporter,
      conversation: them.conversation,
      settings: { template: `sh ${shellQuote(GREETING_CLI)}` },
    });

    expect(them.asked).toEqual([{ question: "Which greeting: hello or hi?", step: 1 }]);
    expect(outcome).toMatchObject({ status: "submitted", steps: 3, validationRounds: 1 });
    expect(await readFile(join(current.workspace.worktree, "greeting.txt"), "utf8")).toBe("HI\n");
    const instruction = (n: number) => readFile(join(current!.workspace.worktree, `instruction-${n}.md`), "utf8");
    const [first, second, third] = [await instruction(1), await instruction(2), await instruction(3)];
    // Every run is told how to ask, and gets the whole conversation so far (an earlier attempt's turns first).
    for (const text of [first, second, third]) expect(text).toContain("print one line `PUSHPALS_ASK <your question>` and exit");
    expect(first).toContain("erin sent you this message: keep it to one line");
    expect(first).not.toContain("Say hi.");
    expect(second).toContain("dana answered your question (Which greeting: hello or hi?)");
    expect(second).toContain("Say hi.");
    expect(second).not.toContain("shout it");
    expect(third).toContain("Say hi.");
    expect(third).toContain("shout it: capitals please");
    expect(recorded.logs()).toContain("the agent asks the person: Which greeting: hello or hi?");
  });

  it("a pause that finishes the job validates what is in the worktree without running the CLI again", async () => {
    current = await scene("process");
    let pauses = 0;
    const conversation: AgentConversation = {
      take: () => [],
      // Paused once the first run asked: the person finishes the job instead of answering.
      isPaused: () => existsSync(join(current!.workspace.worktree, "instruction-1.md")) && pauses === 0,
      async waitWhilePaused() {
        pauses += 1;
        return { finish: true, author: "dana" };
      },
      ask: async () => ({ kind: "answer", text: "hello, then", author: "dana" }),
    };
    const outcome = await runCommandAgent({
      sandbox: current.sandbox,
      task: task("Write a greeting to greeting.txt.", { validationSteps: ["test ! -e greeting.txt"] }),
      limits: limits(),
      signal: AbortSignal.timeout(20_000),
      reporter: recordingReporter().reporter,
      conversation,
      settings: { template: `sh ${shellQuote(GREETING_CLI)}` },
    });
    expect(outcome).toMatchObject({ status: "submitted", steps: 1, summary: "finished by a person with what is in the worktree" });
    expect(existsSync(join(current.workspace.worktree, "instruction-2.md"))).toBe(false);
  });

  it("finds the question on the last PUSHPALS_ASK line of a CLI's output, not only the first", () => {
    expect(cliQuestion("thinking\nPUSHPALS_ASK first?\nmore\nPUSHPALS_ASK: which one?\n")).toBe("which one?");
    expect(cliQuestion("PUSHPALS_ASKED nothing\n")).toBeUndefined();
    expect(cliQuestion("PUSHPALS_ASK\n")).toBeUndefined();
    expect(cliQuestion("no question here")).toBeUndefined();
  });
});
