import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initRepo } from "../support/git.js";
import { startPushpals, type PushpalsProcess } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { startCli } from "./support/run-cli.js";

const REASON = "no model configured for the planner role";

// The new user's run: `pushpals up` without a model, then a message that needs planning.
describe("chat --wait against pushpals up without a model", () => {
  let repo: TempDir;
  let up: PushpalsProcess;

  beforeAll(async () => {
    repo = await tempDir("pushpals-nomodel-");
    await initRepo(repo.path);
    up = await startPushpals(
      ["up", "--port", "0", "--repo", repo.path],
      { PUSHPALS_LLM_MODEL: "", PUSHPALS_LLM_BASE_URL: "", PUSHPALS_SANDBOX_DRIVER: "process" },
      { timeoutMs: 60_000 },
    );
  }, 90_000);
  afterAll(async () => {
    await up?.stop();
    await repo?.remove();
  });

  it("prints the reason once, with its hint, and exits 1", async () => {
    const { code, stdout, stderr } = await startCli(["chat", "-m", "add a readme", "--wait", "--new"], { cwd: repo.path, env: { PUSHPALS_SERVER_URL: up.url } }).exited;
    expect(code, `${stdout}\n${stderr}`).toBe(1);
    const everything = `${stdout}\n${stderr}`;
    expect(everything.split(REASON).length - 1, everything).toBe(1);
    expect(stdout).toMatch(new RegExp(`^✗ ${REASON}: set PUSHPALS_PLANNER_LLM_MODEL .* — fix what the message names, then send the request again`, "m"));
    expect(stdout).toMatch(/^✗ request req_\w+ failed \(the reason is above\)$/m);
    expect(stdout, "the planner's message repeating the reason is left out").not.toMatch(/I could not plan this request/);
    expect(stderr).toMatch(/^pushpals chat: req_\w+ did not succeed \(the reason is above\)$/m);
  }, 60_000);
});
