import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { runAgent } from "../../services/runner/agent/agent-loop.js";
import { describeIfAvailable } from "../sandbox/environment.js";
import { bwrapRequirement, lastUserMessage, limits, recordingReporter, scene, scriptedModel, sentMessages, task, type Scene } from "./support.js";

let server: ScriptedModelServer | undefined;
let current: Scene | undefined;
afterEach(async () => {
  await server?.close();
  await current?.close();
  server = current = undefined;
});

const submit = { content: "```bash\necho PUSHPALS_SUBMIT && echo recovered\n```" };

describe("bad model output", () => {
  it("an empty reply is a format error the agent recovers from", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel([{ content: "" }, { match: { role: "user", contains: "your reply was empty" }, ...submit }]));
    const recorded = recordingReporter();

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Anything."),
      limits: limits(),
      signal: AbortSignal.timeout(10_000),
      reporter: recorded.reporter,
    });

    expect(outcome).toMatchObject({ status: "submitted", summary: "recovered", steps: 2 });
    expect(recorded.steps()[0]).toMatchObject({ formatError: true, output: "your reply was empty.", command: "" });
  });

  it("a 1 MB reply is refused without being carried in the conversation", async () => {
    current = await scene("process");
    const huge = `THOUGHT: ${"blah ".repeat(200_000)}\n\n\`\`\`bash\necho never-run > ran.txt\n\`\`\``;
    let model;
    ({ server, model } = await scriptedModel([{ content: huge }, { match: { role: "user", contains: "characters long, more than the" }, ...submit }]));
    const recorded = recordingReporter();

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Anything."),
      limits: limits(),
      signal: AbortSignal.timeout(10_000),
      reporter: recorded.reporter,
    });

    expect(outcome).toMatchObject({ status: "submitted", steps: 2 });
    const second = sentMessages(server)[1]!;
    expect(lastUserMessage(second)).toContain(`your reply was ${huge.length} characters long, more than the 50000 allowed`);
    expect(JSON.stringify(second).length).toBeLessThan(20_000);
    expect(second.at(-2)?.content).toContain("characters elided");
    await expect(readFile(join(current.workspace.worktree, "ran.txt"))).rejects.toThrow(/ENOENT/);
    expect(JSON.stringify(outcome.trajectory).length).toBeLessThan(30_000);
  });
});

describeIfAvailable("bad model output in a bwrap sandbox", bwrapRequirement, () => {
  it("`cd / && rm -rf …` changes nothing outside the worktree; the agent sees the refusals", async () => {
    current = await scene("bwrap");
    const { outside, repo, commonGitDir } = current.workspace;
    const markers = [join(outside, "marker.txt"), join(repo, "README.md"), join(commonGitDir, "pushpals-marker")];
    for (const marker of markers) await writeFile(marker, "still here\n");
    const command = `cd / && rm -rf ${outside} ${markers.join(" ")} /etc/hostname /usr/bin/env /tmp/* ~ 2>&1; echo rm-exit=$?`;
    let model;
    ({ server, model } = await scriptedModel([{ content: `THOUGHT: clean everything.\n\n\`\`\`bash\n${command}\n\`\`\`` }, submit]));

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Clean up."),
      limits: limits(),
      signal: AbortSignal.timeout(10_000),
      reporter: recordingReporter().reporter,
    });

    expect(outcome.status).toBe("submitted");
    for (const marker of markers) expect(await readFile(marker, "utf8")).toBe("still here\n");
    await expect(readFile("/usr/bin/env")).resolves.toBeDefined();
    const observation = lastUserMessage(sentMessages(server)[1]!);
    expect(observation).toContain("Read-only file system");
    expect(observation).toContain("rm-exit=1");
    expect(outcome.trajectory.steps[0]?.command).toBe(command);
  });
});
