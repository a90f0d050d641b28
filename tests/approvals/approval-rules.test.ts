import { create } from "@bufbuild/protobuf";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PlanSchema, Risk } from "../../gen/pushpals/v1/task_pb.js";
import { commandApprovalRule } from "../../shared/approvals/command-rule.js";
import { planApprovalRule } from "../../shared/approvals/plan-rule.js";
import { ConfigError, loadConfig } from "../../shared/config/load.js";
import { tempDir, type TempDir } from "../support/tmp.js";

const plan = (risk: Risk, scope: { writeGlobs?: string[]; maxFilesToEdit?: number } = {}) =>
  create(PlanSchema, {
    requiresWorker: true,
    planning: { risk, scope: { writeAllowed: true, writeGlobs: scope.writeGlobs ?? ["src/**"], maxFilesToEdit: scope.maxFilesToEdit ?? 2 } },
  });

describe("[approvals] config and its rules", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await tempDir("pushpals-approvals-config-");
  });
  afterEach(() => dir.remove());
  const load = async (toml: string) => {
    await mkdir(join(dir.path, "c"), { recursive: true });
    await writeFile(join(dir.path, "c", "default.toml"), toml);
    return loadConfig({ configDir: join(dir.path, "c"), env: {}, cwd: dir.path });
  };

  it("defaults: nothing asked on low or medium risk, ask on high, deny on timeout after an hour", async () => {
    const { approvals } = await load("");
    expect(approvals).toMatchObject({ push: "auto", pullRequest: "auto", command: [], timeoutSeconds: 3600, timeoutAction: "deny" });
    expect(planApprovalRule(plan(Risk.LOW), approvals.plan)).toBeUndefined();
    expect(planApprovalRule(plan(Risk.MEDIUM), approvals.plan)).toBeUndefined();
    expect(planApprovalRule(plan(Risk.HIGH), approvals.plan)).toEqual({ action: "ask", rule: "approvals.plan.high: the plan's risk is high" });
    // A plan that needs no job is never asked about.
    expect(planApprovalRule(create(PlanSchema, { requiresWorker: false, planning: { risk: Risk.HIGH } }), approvals.plan)).toBeUndefined();
  });

  it("file-count and glob rules make a low-risk plan ask; the strictest matching rule wins", async () => {
    const { approvals } = await load(
      '[approvals.plan]\nmax_files = 3\nglobs = ["deploy/**"]\nglobs_action = "deny"\n[approvals]\ncommand = [{ pattern = "\\\\brm\\\\s+-rf\\\\b" }, { pattern = "git push", action = "deny" }]\n',
    );
    expect(planApprovalRule(plan(Risk.LOW, { maxFilesToEdit: 3 }), approvals.plan)).toBeUndefined();
    expect(planApprovalRule(plan(Risk.LOW, { maxFilesToEdit: 4 }), approvals.plan)?.rule).toMatch(/^approvals\.plan\.max_files: the plan may edit up to 4 files/);
    expect(planApprovalRule(plan(Risk.LOW, { maxFilesToEdit: 0 }), approvals.plan)?.rule).toMatch(/no file limit/);
    expect(planApprovalRule(plan(Risk.HIGH, { writeGlobs: ["deploy/k8s/*.yaml"] }), approvals.plan)).toEqual({
      action: "deny",
      rule: "approvals.plan.globs: the plan may write deploy/**",
    });
    expect(planApprovalRule(plan(Risk.LOW, { writeGlobs: ["**"] }), approvals.plan)?.action).toBe("deny");
    expect(commandApprovalRule("cd x && rm -rf build", approvals.command)).toEqual({ action: "ask", rule: "approvals.command[0]: the command matches /\\brm\\s+-rf\\b/" });
    expect(commandApprovalRule("git push origin HEAD", approvals.command)?.action).toBe("deny");
    expect(commandApprovalRule("npm test", approvals.command)).toBeUndefined();
  });

  it("bad values name the key and what is allowed", async () => {
    await expect(load('[approvals]\npush = "maybe"\n')).rejects.toThrow(ConfigError);
    await expect(load('[approvals]\npush = "maybe"\n')).rejects.toThrow(/approvals\.push = "maybe".*auto.*ask.*deny/s);
    await expect(load('[approvals]\ncommand = [{ pattern = "(" }]\n')).rejects.toThrow(/approvals\.command\.0\.pattern = "\(".*regular expression/s);
    await expect(load('[approvals]\ntimeout_action = "ask"\n')).rejects.toThrow(/approvals\.timeoutAction = "ask"/);
  });
});
