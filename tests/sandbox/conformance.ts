import { Code, ConnectError } from "@connectrpc/connect";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newId } from "../../shared/ids.js";
import { MARKER_VARIABLE } from "../../sandbox/marked-processes.js";
import type { Execution, OutputChunk, Sandbox, SandboxDriver, SandboxSpec } from "../../sandbox/driver.js";
import { describeIfAvailable, type Requirement } from "./environment.js";
import { git } from "../support/git.js";
import { collect, makeWorkspace, processesWith, uniqueSleep, waitFor, type Workspace } from "./fixtures.js";

export interface DriverCapabilities {
  /**
   * Isolated drivers must cut the network, keep files outside the worktree and the repository's
   * git data out of reach and drop capabilities. For the others the same probes run as
   * controls that must show the leak, which proves the probes can tell.
   */
  isolated: boolean;
  /** Whether `git` exists inside the sandbox. */
  hasGit: boolean;
  /** A shell command that exits 0 exactly when it can open a TCP connection to 127.0.0.1:<port>. */
  tcpProbe(port: number): string;
  /** How many commands the "many sequential execs" case runs. */
  sequentialExecs: number;
  /**
   * How the worktree reaches the sandbox. "mounted" (process, bwrap, docker): commands see the
   * host's worktree itself, so their writes are on the host at once, copyIn/copyOut accept only
   * that directory, and a cwd missing on the host is refused before anything runs. "copied"
   * (kubernetes): the sandbox holds a copy, so writes come back with copyOut, copyIn of another
   * directory replaces the copy, a missing cwd is known only inside the sandbox (the result
   * rejects with InvalidArgument), and a case cleans up inside the sandbox as well as on the host.
   */
  workspace: "mounted" | "copied";
}

const SECRET_NAME = "PUSHPALS_LLM_API_KEY";
const SECRET_VALUE = "sk-conformance-secret-4711";
const SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Variables a POSIX shell sets by itself. */
const SHELL_VARIABLES = new Set(["PWD", "OLDPWD", "SHLVL", "_"]);

/**
 * The behaviour every sandbox driver shares, run for real against one driver. Each suite
 * starts one sandbox on a fresh repository and worktree and stops it at the end.
 */
export function describeDriverConformance(name: string, requirement: Requirement, makeDriver: () => SandboxDriver, capabilities: DriverCapabilities): void {
  const copied = capabilities.workspace === "copied";
  describeIfAvailable(`${name} driver conformance`, requirement, () => {
    let driver: SandboxDriver;
    let workspace: Workspace;
    let sandbox: Sandbox;
    let spec: SandboxSpec;
    const savedSecret = process.env[SECRET_NAME];

    beforeAll(async () => {
      // A secret in the runner's own environment, as the real runner has its model key.
      process.env[SECRET_NAME] = SECRET_VALUE;
      driver = makeDriver();
      workspace = await makeWorkspace();
      spec = {
        jobId: newId("job"),
        owner: `conformance-${name}`,
        worktree: workspace.worktree,
        env: { PATH: SANDBOX_PATH, HOME: "/tmp", SPEC_VAR: "from-spec" },
      };
      sandbox = await driver.start(spec);
    });

    afterAll(async () => {
      if (savedSecret === undefined) delete process.env[SECRET_NAME];
      else process.env[SECRET_NAME] = savedSecret;
      await sandbox?.stop();
      await workspace?.dir.remove();
    });

    it("runs a command in the workspace and reports its output and exit code", async () => {
      const ok = await collect(sandbox.exec("echo hello; cat README.md"));
      expect(ok.stdout).toBe("hello\n# sandbox test\n");
      expect(ok.stderr).toBe("");
      expect(ok.result).toMatchObject({ exitCode: 0, timedOut: false, cancelled: false });
      expect(ok.result.durationMs).toBeGreaterThanOrEqual(0);

      const failed = await collect(sandbox.exec("echo partial; exit 7"));
      expect(failed.stdout).toBe("partial\n");
      expect(failed.result).toMatchObject({ exitCode: 7, timedOut: false, cancelled: false });
    });

    it("keeps stderr apart from stdout", async () => {
      const { stdout, stderr, result } = await collect(sandbox.exec("echo out; echo err >&2; echo out2"));
      expect(stdout).toBe("out\nout2\n");
      expect(stderr).toBe("err\n");
      expect(result.exitCode).toBe(0);
    });

    it("streams output while the command runs", async () => {
      const { chunks, settledAt, stdout } = await collect(sandbox.exec("echo first; sleep 1; echo second"));
      expect(stdout).toBe("first\nsecond\n");
      const first = chunks.find((chunk) => chunk.data.includes("first"));
      expect(first).toBeDefined();
      expect(first!.data).not.toContain("second");
      // The first line must arrive about a second before the command ends, not with its end.
      expect(settledAt - first!.at).toBeGreaterThan(600);
    });

    it("feeds stdin to the command", async () => {
      const { stdout, result } = await collect(sandbox.exec("cat; echo end", { stdin: "line one\nline two\n" }));
      expect(stdout).toBe("line one\nline two\nend\n");
      expect(result.exitCode).toBe(0);
    });

    it("runs in the workspace root or a directory relative to it, and writes land in the worktree", async () => {
      const root = await collect(sandbox.exec("pwd"));
      expect(root.stdout.trim()).toBe(sandbox.workdir);
      const nested = await collect(sandbox.exec("pwd; cat file.txt", { cwd: "sub/dir" }));
      expect(nested.stdout).toBe(`${sandbox.workdir}/sub/dir\nnested\n`);
      const write = await collect(sandbox.exec("echo made-inside > sub/created.txt"));
      expect(write.result.exitCode).toBe(0);
      if (copied) await sandbox.copyOut(workspace.worktree);
      expect(await readFile(join(workspace.worktree, "sub/created.txt"), "utf8")).toBe("made-inside\n");
      await rm(join(workspace.worktree, "sub/created.txt"));
      if (copied) await inSandbox(sandbox, "rm sub/created.txt");
    });

    it("refuses a bad cwd, command or env with InvalidArgument naming the field", async () => {
      expectConnectError(() => sandbox.exec("pwd", { cwd: "../outside" }), Code.InvalidArgument, /^cwd: .*leaves the workspace/);
      expectConnectError(() => sandbox.exec("pwd", { cwd: "/etc" }), Code.InvalidArgument, /^cwd: .*relative/);
      const missingCwd = /^cwd: .*not a directory/;
      if (copied) {
        // Only the sandbox knows its directories: the call returns, its result is refused and nothing runs.
        const { chunks } = await collectRefused(sandbox.exec("echo ran", { cwd: "no/such/dir" }), Code.InvalidArgument, missingCwd);
        expect(chunks).toEqual([]);
      } else {
        expectConnectError(() => sandbox.exec("pwd", { cwd: "no/such/dir" }), Code.InvalidArgument, missingCwd);
      }
      expectConnectError(() => sandbox.exec("   "), Code.InvalidArgument, /^command: /);
      expectConnectError(() => sandbox.exec("env", { env: { "1BAD": "x" } }), Code.InvalidArgument, /^env\.1BAD: /);
      expectConnectError(() => sandbox.exec("true", { timeoutMs: -5 }), Code.InvalidArgument, /^timeoutMs: /);
    });

    it("refuses a bad spec with InvalidArgument and starts nothing", async () => {
      await expectConnectErrorAsync(driver.start({ ...spec, worktree: "relative/path" }), Code.InvalidArgument, /^spec\.worktree: /);
      await expectConnectErrorAsync(driver.start({ ...spec, worktree: join(workspace.dir.path, "missing") }), Code.InvalidArgument, /^spec\.worktree: .*not a directory/);
      await expectConnectErrorAsync(driver.start({ ...spec, jobId: "bad id!" }), Code.InvalidArgument, /^spec\.jobId: /);
    });

    it("gives the command only the sandbox's and the call's environment", async () => {
      const { stdout } = await collect(sandbox.exec("env", { env: { EXEC_VAR: "from-exec", SPEC_VAR: "overridden" } }));
      const variables = new Map(
        stdout
          .split("\n")
          .filter((line) => line.includes("="))
          .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const),
      );
      expect(variables.get("EXEC_VAR")).toBe("from-exec");
      expect(variables.get("SPEC_VAR")).toBe("overridden");
      expect(variables.get("PATH")).toBe(SANDBOX_PATH);
      expect(stdout).not.toContain(SECRET_VALUE);
      // The process driver's marker (where it has no cgroup) names the sandbox, nothing secret.
      const unexpected = [...variables.keys()].filter((key) => !SHELL_VARIABLES.has(key) && !["PATH", "HOME", "SPEC_VAR", "EXEC_VAR", MARKER_VARIABLE].includes(key));
      expect(unexpected).toEqual([]);
    });

    it("kills the whole process tree when a command times out, even one that ignores SIGTERM", async () => {
      const { seconds, marker } = uniqueSleep();
      const execution = sandbox.exec(`trap '' TERM; sh -c 'sleep ${seconds} & sleep ${seconds}; :' & sleep ${seconds}; echo never`, {
        timeoutMs: 2000,
      });
      const collected = collect(execution);
      // The control: the tree is there to be killed, and this probe sees it.
      await waitFor("the command's three sleeps to run", async () => (await processesWith(marker)) === 3, 1900);
      const { result, stdout } = await collected;
      expect(result).toMatchObject({ timedOut: true, cancelled: false });
      expect(result.exitCode).not.toBe(0);
      expect(stdout).not.toContain("never");
      expect(result.durationMs).toBeGreaterThanOrEqual(1950);
      expect(result.durationMs).toBeLessThan(2000 + 1000 + 3000);
      await waitFor("no sleep of the timed-out tree to survive", async () => (await processesWith(marker)) === 0, 2000);
    });

    it("sends a timed-out command SIGTERM first, so it can clean up", async () => {
      const { seconds, marker } = uniqueSleep();
      const { stdout, result } = await collect(sandbox.exec(`trap 'echo got-term; exit 3' TERM; sleep ${seconds} & wait`, { timeoutMs: 700 }));
      expect(stdout).toBe("got-term\n");
      expect(result).toMatchObject({ exitCode: 3, timedOut: true, cancelled: false });
      await waitFor("the background sleep to be gone", async () => (await processesWith(marker)) === 0, 2000);
    });

    it("kills the whole process tree at once when aborted", async () => {
      const { seconds, marker } = uniqueSleep();
      const controller = new AbortController();
      const collected = collect(sandbox.exec(`sh -c 'sleep ${seconds} & sleep ${seconds}' & sleep ${seconds}`, { signal: controller.signal }));
      await waitFor("the command's three sleeps to run", async () => (await processesWith(marker)) === 3, 3000);
      const abortedAt = performance.now();
      controller.abort();
      const { result, settledAt } = await collected;
      expect(result).toMatchObject({ cancelled: true, timedOut: false });
      expect(result.exitCode).not.toBe(0);
      expect(settledAt - abortedAt).toBeLessThan(2000);
      await waitFor("no sleep of the aborted tree to survive", async () => (await processesWith(marker)) === 0, 2000 - (performance.now() - abortedAt));
    });

    it("does not start a command whose signal is already aborted", async () => {
      const { seconds, marker } = uniqueSleep();
      const { result, chunks } = await collect(sandbox.exec(`echo ran; sleep ${seconds}`, { signal: AbortSignal.abort() }));
      expect(result.cancelled).toBe(true);
      expect(chunks).toEqual([]);
      expect(await processesWith(marker)).toBe(0);
    });

    it("ends a command's background processes with it", async () => {
      const { seconds, marker } = uniqueSleep();
      const { stdout, result } = await collect(sandbox.exec(`sleep ${seconds} >/dev/null 2>&1 & echo started`));
      expect(stdout).toBe("started\n");
      expect(result).toMatchObject({ exitCode: 0, timedOut: false, cancelled: false });
      expect(result.durationMs).toBeLessThan(3000);
      await waitFor("the background sleep to be gone", async () => (await processesWith(marker)) === 0, 2000);
    });

    it(`runs ${capabilities.sequentialExecs} commands one after another`, async () => {
      const startedAt = performance.now();
      for (let index = 0; index < capabilities.sequentialExecs; index += 1) {
        const { stdout, result } = await collect(sandbox.exec(`echo ${index}`));
        expect(stdout).toBe(`${index}\n`);
        expect(result.exitCode).toBe(0);
      }
      const perCommandMs = (performance.now() - startedAt) / capabilities.sequentialExecs;
      console.log(`[measure] ${name}: ${capabilities.sequentialExecs} sequential execs, ${perCommandMs.toFixed(1)} ms each`);
    });

    if (copied) {
      it("copyIn replaces the sandbox's copy with the directory given; copyIn of the worktree restores it", async () => {
        await writeFile(join(workspace.outside, "only-outside.txt"), "outside\n");
        await sandbox.copyIn(workspace.outside);
        expect(await inSandbox(sandbox, "ls -A")).toBe("only-outside.txt\n");
        await sandbox.copyIn(workspace.worktree);
        expect(await inSandbox(sandbox, "cat README.md; cat sub/dir/file.txt")).toBe("# sandbox test\nnested\n");
        await expect(sandbox.copyOut(workspace.worktree)).resolves.toBeUndefined();
        expect(await git(workspace.worktree, "status", "--porcelain")).toBe("");
        await rm(join(workspace.outside, "only-outside.txt"));
      });
    } else {
      it("copyIn/copyOut accept the mounted worktree only", async () => {
        await expect(sandbox.copyIn(workspace.worktree)).resolves.toBeUndefined();
        await expect(sandbox.copyOut(workspace.worktree)).resolves.toBeUndefined();
        await expectConnectErrorAsync(sandbox.copyIn(workspace.outside), Code.FailedPrecondition, /only accepts that directory/);
      });
    }

    it("stop() kills running commands, refuses new ones and is safe to call twice", async () => {
      const other = await driver.start({ ...spec, jobId: newId("job") });
      const { seconds, marker } = uniqueSleep();
      const running = other.exec(`sleep ${seconds}`);
      await waitFor("the sleep to run", async () => (await processesWith(marker)) === 1, 3000);
      await other.stop();
      expect((await running.result).cancelled).toBe(true);
      expectConnectError(() => other.exec("true"), Code.FailedPrecondition, /was stopped/);
      await other.stop();
      await waitFor("the sleep to be gone", async () => (await processesWith(marker)) === 0, 2000);
    });

    if (capabilities.hasGit) {
      it("lets git read the worktree's state", async () => {
        const { stdout, result } = await collect(
          sandbox.exec("echo change >> README.md && echo new > untracked.txt && git status --porcelain && git diff --name-only && git log --format=%s"),
        );
        expect(result.exitCode).toBe(0);
        expect(stdout).toBe(" M README.md\n?? untracked.txt\nREADME.md\ninitial\n");
        if (copied) {
          await inSandbox(sandbox, "git show HEAD:README.md > README.md && rm untracked.txt");
        } else {
          await git(workspace.worktree, "checkout", "--", "README.md");
          await rm(join(workspace.worktree, "untracked.txt"));
        }
      });
    }

    describeIsolation(capabilities, () => ({ sandbox, workspace }));
  });
}

function describeIsolation(capabilities: DriverCapabilities, context: () => { sandbox: Sandbox; workspace: Workspace }): void {
  const isolated = capabilities.isolated;
  const verb = isolated ? "cannot" : "can (control: no isolation)";

  it(`${verb} reach the host's Postgres on 127.0.0.1:5432`, async () => {
    const { result } = await collect(context().sandbox.exec(capabilities.tcpProbe(5432)));
    if (isolated) expect(result.exitCode).not.toBe(0);
    else expect(result.exitCode).toBe(0);
  });

  if (isolated) {
    it("has no network interface but loopback", async () => {
      const { stdout, result } = await collect(context().sandbox.exec("cat /proc/net/dev"));
      expect(result.exitCode).toBe(0);
      const interfaces = stdout
        .split("\n")
        .slice(2)
        .map((line) => line.split(":")[0]!.trim())
        .filter(Boolean);
      expect(interfaces).toEqual(["lo"]);
    });

    it("runs commands without capabilities", async () => {
      const { stdout } = await collect(context().sandbox.exec("grep CapEff /proc/self/status"));
      expect(stdout).toMatch(/^CapEff:\s+0+\n$/);
    });
  }

  it(`${verb} write files outside the worktree`, async () => {
    const { workspace, sandbox } = context();
    const target = join(workspace.outside, "escape.txt");
    const { result } = await collect(sandbox.exec(`echo escaped > ${target}`));
    if (isolated) {
      expect(result.exitCode).not.toBe(0);
      expect(existsSync(target)).toBe(false);
      const system = await collect(sandbox.exec("echo escaped > /usr/pushpals-escape"));
      expect(system.result.exitCode).not.toBe(0);
      expect(existsSync("/usr/pushpals-escape")).toBe(false);
    } else {
      expect(result.exitCode).toBe(0);
      expect(await readFile(target, "utf8")).toBe("escaped\n");
      await rm(target);
    }
  });

  it(`${verb} plant hooks in the repository or repoint the worktree's .git`, async () => {
    const { workspace, sandbox } = context();
    const hook = join(workspace.commonGitDir, "hooks", "post-commit");
    const dotGit = join(workspace.worktree, ".git");
    const before = await readFile(dotGit, "utf8");
    const planted = await collect(sandbox.exec(`echo 'touch /tmp/pwned' > ${hook}`));
    const repointed = await collect(sandbox.exec("echo 'gitdir: /tmp/fake' > .git"));
    if (isolated) {
      expect(planted.result.exitCode).not.toBe(0);
      expect(existsSync(hook)).toBe(false);
      expect(repointed.result.exitCode).not.toBe(0);
      expect(await readFile(dotGit, "utf8")).toBe(before);
    } else {
      expect(planted.result.exitCode).toBe(0);
      expect(existsSync(hook)).toBe(true);
      await rm(hook);
      await writeFile(dotGit, before);
    }
  });

  if (capabilities.hasGit) {
    it(`${verb} stage or commit: the runner alone writes git data`, async () => {
      const { workspace, sandbox } = context();
      const { result } = await collect(sandbox.exec("echo change >> README.md && git add README.md && git -c user.name=a -c user.email=a@b commit -qm sneaky"));
      const log = await git(workspace.worktree, "log", "--format=%s");
      if (isolated) {
        expect(result.exitCode).not.toBe(0);
        expect(await git(workspace.worktree, "diff", "--cached", "--name-only")).toBe("");
        expect(log).toBe("initial");
      } else {
        expect(result.exitCode).toBe(0);
        expect(log).toBe("sneaky\ninitial");
        await git(workspace.worktree, "reset", "-q", "--hard", "HEAD~1");
      }
      await git(workspace.worktree, "checkout", "--", "README.md");
      if (capabilities.workspace === "copied") await inSandbox(sandbox, "git show HEAD:README.md > README.md");
    });
  }

  it(`${verb} see the host's processes`, async () => {
    const { stdout } = await collect(context().sandbox.exec("ls /proc | grep -c '^[0-9]'"));
    const visible = Number(stdout.trim());
    if (isolated) expect(visible).toBeLessThan(10);
    else expect(visible).toBeGreaterThan(10);
  });
}

function expectConnectError(run: () => unknown, code: Code, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, "expected a ConnectError").toBeInstanceOf(ConnectError);
  expect((caught as ConnectError).code).toBe(code);
  expect((caught as ConnectError).rawMessage).toMatch(message);
}

async function expectConnectErrorAsync(promise: Promise<unknown>, code: Code, message: RegExp): Promise<void> {
  const caught = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(caught, "expected a ConnectError").toBeInstanceOf(ConnectError);
  expect((caught as ConnectError).code).toBe(code);
  expect((caught as ConnectError).rawMessage).toMatch(message);
}

/** Runs a clean-up or probe command inside the sandbox; it must succeed. */
async function inSandbox(sandbox: Sandbox, command: string): Promise<string> {
  const { stdout, stderr, result } = await collect(sandbox.exec(command));
  expect(result.exitCode, `"${command}" failed in the sandbox: ${stderr}`).toBe(0);
  return stdout;
}

/** Reads an execution whose result must be refused with `code`; returns the output it gave meanwhile. */
async function collectRefused(execution: Execution, code: Code, message: RegExp): Promise<{ chunks: OutputChunk[] }> {
  const refusal = expectConnectErrorAsync(execution.result, code, message);
  const chunks: OutputChunk[] = [];
  for await (const chunk of execution.output) chunks.push(chunk);
  await refusal;
  return { chunks };
}
