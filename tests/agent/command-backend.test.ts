import { existsSync } from "node:fs";
import { copyFile, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import type { ScriptedReplyInput } from "../../dev/fake-model/scripted-script.js";
import { runCommandAgent, type CommandBackendSettings } from "../../services/runner/agent/command-backend.js";
import { shellQuote } from "../../services/runner/agent/command-template.js";
import { AgentCrashed } from "../../services/runner/agent/control-flow.js";
import { describeIfAvailable } from "../sandbox/environment.js";
import { waitFor } from "../sandbox/fixtures.js";
import { bwrapRequirement, limits, recordingReporter, scene, task, type Scene } from "./support.js";
import { recordingUpstream } from "./recording-upstream.js";
import { ModelRole } from "../../gen/pushpals/v1/kinds_pb.js";

const REAL_KEY = "sk-real-secret-never-in-a-sandbox";
const FAKE_CLI = fileURLToPath(new URL("./fixtures/fake-agent-cli.mjs", import.meta.url));
const cli = (args = "") => `${shellQuote(process.execPath)} ${shellQuote(FAKE_CLI)} --task-file {instruction_file} ${args}`.trim();

interface CliRun {
  argv: string[];
  taskFile: string;
  instruction: string;
  env: Record<string, string>;
  /** How each --try-connect ended: "connected" or the error code. */
  connects: Record<string, string>;
}

let scripted: ScriptedModelServer | undefined;
let upstream: Awaited<ReturnType<typeof recordingUpstream>> | undefined;
let current: Scene | undefined;
afterEach(async () => {
  await upstream?.close();
  await scripted?.close();
  await current?.close();
  scripted = upstream = current = undefined;
});

async function setUp(replies: ScriptedReplyInput[], template: string, sandbox: Parameters<typeof scene> = ["process", { modelSocket: true }]): Promise<CommandBackendSettings> {
  current = await scene(...sandbox);
  scripted = await startScriptedModelServer({ script: replies });
  upstream = await recordingUpstream(scripted.url);
  return { template, model: { endpoint: { baseUrl: upstream.url, apiKey: REAL_KEY, model: "job-model", timeoutMs: 5000 } } };
}

async function cliRun(n: number): Promise<CliRun> {
  return JSON.parse(await readFile(join(current!.workspace.worktree, `cli-run-${n}.json`), "utf8")) as CliRun;
}

describe("command backend (an external agent CLI in the sandbox)", () => {
  it("runs the CLI with the instruction in a file and model access through the proxy, revising after failed validation", async () => {
    const settings = await setUp(
      [
        { content: "first draft", usage: { prompt_tokens: 100, completion_tokens: 10 } },
        { match: { role: "user", contains: "Validation failed on your previous attempt" }, content: "validated answer", usage: { prompt_tokens: 120, completion_tokens: 12 } },
      ],
      cli(),
    );
    const recorded = recordingReporter();

    const outcome = await runCommandAgent({
      sandbox: current!.sandbox,
      task: task("Write the validated answer to answer.txt.", { acceptanceCriteria: ["answer.txt says validated"], validationSteps: ["grep validated answer.txt"] }),
      limits: limits(),
      signal: AbortSignal.timeout(20_000),
      reporter: recorded.reporter,
      settings,
    });

    expect(outcome).toMatchObject({ status: "submitted", steps: 2, validationRounds: 2, usage: { promptTokens: 220, completionTokens: 22, modelCalls: 2 } });
    if (outcome.status !== "submitted") throw new Error("unreachable");
    expect(outcome.summary).toContain("fake-cli: done, exiting 0");
    expect(await readFile(join(current!.workspace.worktree, "answer.txt"), "utf8")).toBe("validated answer\n");

    const first = await cliRun(1);
    expect(first.instruction).toContain("Write the validated answer to answer.txt.");
    expect(first.instruction).toContain("- answer.txt says validated");
    expect(first.instruction).toContain("`grep validated answer.txt`");
    expect(first.instruction).not.toContain("Validation failed");
    // The instruction lived in a private temp dir, outside the worktree, removed afterwards.
    expect(first.taskFile.startsWith(current!.workspace.worktree)).toBe(false);
    expect(existsSync(dirname(first.taskFile))).toBe(false);
    // The sandbox never saw the key: only the proxy and a job token.
    expect(Object.values(first.env).some((value) => value.includes(REAL_KEY))).toBe(false);
    // The process driver isolates nothing: the bridge to the job's socket runs on the host's loopback.
    expect(first.env.OPENAI_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(first.env.PUSHPALS_MODEL_SOCKET).toBe(join(current!.sandbox.modelSocket!.hostDir, "model.sock"));
    expect(first.env.OPENAI_API_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.env.PUSHPALS_MODEL_TOKEN).toBe(first.env.OPENAI_API_KEY);
    expect(first.env.PUSHPALS_MODEL).toBe("job-model");

    const second = await cliRun(2);
    expect(second.instruction).toContain("Validation failed on your previous attempt (round 1 of at most 3)");
    expect(second.instruction).toContain("<failed_command>grep validated answer.txt</failed_command>\n<exit_code>1</exit_code>");
    // The token was for the job, not for one run.
    expect(second.env.OPENAI_API_KEY).toBe(first.env.OPENAI_API_KEY);

    expect(upstream!.seen.map((r) => [r.authorization, r.body?.model])).toEqual([
      [`Bearer ${REAL_KEY}`, "job-model"],
      [`Bearer ${REAL_KEY}`, "job-model"],
    ]);
    expect(recorded.usages().map((u) => [u.role, u.model, u.promptTokens, u.completionTokens])).toEqual([
      [ModelRole.AGENT, "job-model", 100n, 10n],
      [ModelRole.AGENT, "job-model", 120n, 12n],
    ]);
    expect(recorded.steps().map((s) => [s.step, s.exitCode])).toEqual([
      [1, 0],
      [2, 0],
    ]);
    expect(recorded.steps()[0]?.command).toBe(cli().replace("{instruction_file}", '"$PUSHPALS_INSTRUCTION_FILE"'));
    expect(recorded.validations().map((v) => [v.round, v.passed])).toEqual([
      [1, false],
      [2, true],
    ]);
    const logs = recorded.logs();
    expect(logs).toContain("fake-cli: the model says: first draft");
    expect(logs).toContain("fake-cli: a line on stderr");
    expect(logs.indexOf("fake-cli: the model says: first draft")).toBeLessThan(logs.indexOf("fake-cli: the model says: validated answer"));
    expect(outcome.trajectory).toMatchObject({ backend: "command", model: "job-model", outcome: { status: "submitted" } });
  });

  it("a CLI that exits non-zero fails the job with reason agent_exited and its last output", async () => {
    const settings = await setUp([{ content: "whatever" }], cli("--exit 3"));
    const recorded = recordingReporter();

    const outcome = await runCommandAgent({
      sandbox: current!.sandbox,
      task: task("Anything.", { validationSteps: ["true"] }),
      limits: limits(),
      signal: AbortSignal.timeout(20_000),
      reporter: recorded.reporter,
      settings,
    });

    if (outcome.status !== "failed") throw new Error("expected agent_exited");
    expect(outcome.reason).toBe("agent_exited");
    // stdout and stderr interleave in whatever order they arrive, so look for the parts.
    expect(outcome.message).toMatch(/^the agent CLI exited with code 3 on run 1; its output ends with: /);
    expect(outcome.message).toContain("fake-cli: done, exiting 3");
    expect(outcome.message).toMatch(/\. Check agent\.command\.template and the CLI's output in the job log$/);
    expect(recorded.validations()).toEqual([]);
  });

  it("a CLI whose stdout opens with the give-up sentinel fails with reason gave_up and its words, without validating", async () => {
    const settings = await setUp([], `echo "PUSHPALS_GIVE_UP the repository has no test suite to fix"; exit 2`);
    const recorded = recordingReporter();

    const outcome = await runCommandAgent({
      sandbox: current!.sandbox,
      task: task("Fix the failing tests.", { validationSteps: ["touch validation-ran"] }),
      limits: limits(),
      signal: AbortSignal.timeout(20_000),
      reporter: recorded.reporter,
      settings,
    });

    expect(outcome).toMatchObject({ status: "failed", reason: "gave_up", steps: 1 });
    if (outcome.status !== "failed") throw new Error("unreachable");
    expect(outcome.message).toMatch(/^the agent gave up on step 1: the repository has no test suite to fix\. /);
    expect(recorded.validations()).toEqual([]);
    expect(existsSync(join(current!.workspace.worktree, "validation-ran"))).toBe(false);
    expect(outcome.trajectory.outcome).toMatchObject({ status: "failed", reason: "gave_up" });
  });

  it("cancel stops the CLI at once and closes its model access", async () => {
    const settings = await setUp([{ content: "never asked" }], cli("--sleep 60000"));
    const cancel = new AbortController();
    const recorded = recordingReporter();
    const running = runCommandAgent({
      sandbox: current!.sandbox,
      task: task("Take your time."),
      limits: limits({ wallTimeMs: 60_000 }),
      signal: cancel.signal,
      reporter: recorded.reporter,
      settings,
    });
    await waitFor("the CLI to start", () => existsSync(join(current!.workspace.worktree, "cli-run-1.json")), 5000);
    const { env } = await cliRun(1);

    const cancelledAt = performance.now();
    cancel.abort();
    const outcome = await running;

    expect(performance.now() - cancelledAt).toBeLessThan(2000);
    expect(outcome).toMatchObject({ status: "failed", reason: "cancelled" });
    // The bridge died with the CLI, the proxy with the job.
    await expect(fetch(`${env.OPENAI_BASE_URL}/models`, { headers: { authorization: `Bearer ${env.OPENAI_API_KEY}` } })).rejects.toThrow();
    expect(existsSync(env.PUSHPALS_MODEL_SOCKET!)).toBe(false);
    expect(scripted!.requests()).toHaveLength(0);
  });

  it("refuses a template with an unknown placeholder and an env holding the model key", async () => {
    const settings = await setUp([], cli());
    const base = { sandbox: current!.sandbox, task: task("x"), limits: limits(), signal: AbortSignal.timeout(5000), reporter: recordingReporter().reporter };

    await expect(runCommandAgent({ ...base, settings: { ...settings, template: "mini -t {instrution_file}" } })).rejects.toThrow(
      /agent\.command\.template: uses \{instrution_file\}; the placeholders are \{instruction_file\}, \{instruction\}, \{model\}, \{workdir\}/,
    );
    await expect(runCommandAgent({ ...base, settings: { ...settings, env: { LEAK: `key=${REAL_KEY}` } } })).rejects.toThrow(
      /agent\.command\.env\.LEAK: holds the model API key, which must never enter a sandbox/,
    );
  });
});

describeIfAvailable("command backend in a bwrap sandbox", bwrapRequirement, () => {
  // The sandbox has no network: the CLI reaches the job's proxy only through the socket bound in
  // at /run/pushpals, bridged to a loopback port in the sandbox's own network namespace.
  const bwrapCli = (args = "") => `${shellQuote(process.execPath)} {workdir}/fake-agent-cli.mjs --task-file {instruction_file} ${args}`.trim();

  it("the CLI reaches the model only through the job's socket, never sees the key, and cannot connect to the upstream itself", async () => {
    const direct = () => [`127.0.0.1:${new URL(upstream!.url).port}`, `127.0.0.1:${new URL(scripted!.url).port}`];
    const settings = await setUp([{ content: "from inside bwrap" }], "", ["bwrap", { modelSocket: true }]);
    settings.template = bwrapCli(
      direct()
        .map((target) => `--try-connect ${target}`)
        .join(" "),
    );
    await copyFile(FAKE_CLI, join(current!.workspace.worktree, "fake-agent-cli.mjs"));

    const outcome = await runCommandAgent({
      sandbox: current!.sandbox,
      task: task("Answer.", { validationSteps: ["grep -q 'from inside bwrap' answer.txt"] }),
      limits: limits(),
      signal: AbortSignal.timeout(20_000),
      reporter: recordingReporter().reporter,
      settings,
    });

    expect(outcome).toMatchObject({ status: "submitted", validationRounds: 1 });
    const { env, taskFile, connects } = await cliRun(1);
    expect(taskFile).toMatch(/^\/tmp\/.*\/instruction\.md$/);
    expect(env.PUSHPALS_MODEL_SOCKET).toBe("/run/pushpals/model.sock");
    expect(env.OPENAI_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(Object.values(env).some((value) => value.includes(REAL_KEY))).toBe(false);
    for (const target of direct()) expect(connects[target], `a direct connect to ${target}`).toBe("ECONNREFUSED");
    expect(upstream!.seen.map((r) => r.authorization)).toEqual([`Bearer ${REAL_KEY}`]);
  });

  it("without a model socket (a sandbox not started for it) the CLI never runs and the job says why", async () => {
    const settings = await setUp([{ content: "never reached" }], bwrapCli(), ["bwrap"]);

    const failure = await runCommandAgent({
      sandbox: current!.sandbox,
      task: task("Answer."),
      limits: limits(),
      signal: AbortSignal.timeout(20_000),
      reporter: recordingReporter().reporter,
      settings,
    }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AgentCrashed);
    expect((failure as AgentCrashed).message).toMatch(/sandbox has no model socket directory, so the agent CLI has no way to its model; start it with spec\.modelSocket/);
    expect(upstream!.seen).toEqual([]);
  });
});
