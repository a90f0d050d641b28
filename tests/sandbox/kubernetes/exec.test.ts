import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../sandbox/driver.js";
import { describeIfAvailable } from "../environment.js";
import { collect, makeWorkspace, uniqueSleep, waitFor, type Workspace } from "../fixtures.js";
import type { RecordedRequest } from "./fake-kube-api.js";
import { ON_REAL_CLUSTER, kubeRequirement, openKubeTarget, recorded, type KubeTarget } from "./kube-target.js";
import { SANDBOX_PATH, driverFor, inPod, processesInPod, specFor } from "./support.js";

const onFake = ON_REAL_CLUSTER ? it.skip : it;
const requirement = await kubeRequirement();

function expectInvalidArgument(run: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConnectError);
  expect((caught as ConnectError).code).toBe(Code.InvalidArgument);
  expect((caught as ConnectError).rawMessage).toMatch(message);
}

/** The exec requests the fake saw for this pod whose argv[3] is `kind` (pushpals-exec or pushpals-kill). */
function execRequests(target: KubeTarget, sandbox: Sandbox, kind: string): RecordedRequest[] {
  return recorded(target)
    .requestsTo("GET", `/api/v1/namespaces/${target.namespace}/pods/${sandbox.id}/exec`)
    .filter((request) => request.query.command?.[3] === kind);
}

describeIfAvailable("kubernetes sandbox exec", requirement, () => {
  let target: KubeTarget;
  let workspace: Workspace;
  let sandbox: Sandbox;

  beforeAll(async () => {
    target = await openKubeTarget();
    workspace = await makeWorkspace();
    sandbox = await driverFor(target).start(specFor(workspace.worktree, "exec-runner"));
  });
  afterAll(async () => {
    await sandbox?.stop();
    await workspace?.dir.remove();
    await target?.close();
  });

  it("runs a command in the workspace and reports output, stderr and exit code", async () => {
    const ok = await collect(sandbox.exec("echo hello; echo oops >&2; cat README.md; pwd"));
    expect(ok.stdout).toBe("hello\n# sandbox test\n/workspace\n");
    expect(ok.stderr).toBe("oops\n");
    expect(ok.result).toMatchObject({ exitCode: 0, timedOut: false, cancelled: false });
    const failed = await collect(sandbox.exec("echo partial; exit 7"));
    expect(failed.stdout).toBe("partial\n");
    expect(failed.result).toMatchObject({ exitCode: 7, timedOut: false, cancelled: false });
  });

  onFake("sends one exec request: the wrapper argv, the container, stdout and stderr but no stdin or tty", async () => {
    await collect(sandbox.exec("echo $SPEC_VAR $EXEC_VAR", { cwd: "sub/dir", env: { EXEC_VAR: "from-exec" } }));
    const request = execRequests(target, sandbox, "pushpals-exec").at(-1)!;
    const { command, ...flags } = request.query;
    expect(flags).toEqual({ stdout: ["true"], stderr: ["true"], stdin: ["false"], tty: ["false"], container: ["sandbox"] });
    expect(command!.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(command![4]).toMatch(/^[0-9a-f]{16}$/);
    expect(command!.slice(5)).toEqual(["sub/dir", "-", "echo $SPEC_VAR $EXEC_VAR", `PATH=${SANDBOX_PATH}`, "HOME=/tmp", "SPEC_VAR=from-spec", "EXEC_VAR=from-exec"]);
    expect(request.headers["sec-websocket-protocol"]).toMatch(/^v5\.channel\.k8s\.io,\s*v4\.channel\.k8s\.io/);
    expect(request.protocol).toBe("v5.channel.k8s.io");
    expect(request.headers.authorization).toBe("Bearer fake-runner-token");
  });

  it("streams output while the command runs", async () => {
    const { chunks, settledAt, stdout } = await collect(sandbox.exec("echo first; sleep 1; echo second"));
    expect(stdout).toBe("first\nsecond\n");
    const first = chunks.find((chunk) => chunk.data.includes("first"))!;
    expect(first.data).not.toContain("second");
    expect(settledAt - first.at).toBeGreaterThan(600);
  });

  it("feeds stdin, and says so in the request", async () => {
    const { stdout, result } = await collect(sandbox.exec("cat; echo end", { stdin: "line one\nline twö\n" }));
    expect(stdout).toBe("line one\nline twö\nend\n");
    expect(result.exitCode).toBe(0);
    if (target.fake) {
      const request = execRequests(target, sandbox, "pushpals-exec").at(-1)!;
      expect(request.query.stdin).toEqual(["true"]);
      expect(request.query.command![6]).toBe(String(Buffer.byteLength("line one\nline twö\n")));
    }
  });

  it("runs in a directory relative to the workspace, and refuses one that is not there", async () => {
    expect(await inPod(sandbox, "mkdir -p made/in/pod")).toBe("");
    expect((await collect(sandbox.exec("pwd", { cwd: "made/in/pod/" }))).stdout).toBe("/workspace/made/in/pod\n");
    const missing = sandbox.exec("echo never", { cwd: "no/such/dir" });
    const caught = await missing.result.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(caught).toBeInstanceOf(ConnectError);
    expect((caught as ConnectError).code).toBe(Code.InvalidArgument);
    expect((caught as ConnectError).rawMessage).toBe('cwd: "no/such/dir" is not a directory in the workspace; create it first or pass an existing one');
    expectInvalidArgument(() => sandbox.exec("pwd", { cwd: "../outside" }), /^cwd: .*leaves the workspace/);
    expectInvalidArgument(() => sandbox.exec("pwd", { cwd: "/etc" }), /^cwd: .*relative/);
    expectInvalidArgument(() => sandbox.exec("  "), /^command: /);
    expectInvalidArgument(() => sandbox.exec("env", { env: { "1BAD": "x" } }), /^env\.1BAD: /);
    expectInvalidArgument(() => sandbox.exec("true", { timeoutMs: -5 }), /^timeoutMs: /);
  });

  it("kills the whole process group on timeout, even a part that ignores SIGTERM", async () => {
    const { seconds } = uniqueSleep();
    const execution = sandbox.exec(`trap '' TERM; sh -c 'sleep ${seconds} & sleep ${seconds}; :' & sleep ${seconds}; echo never`, { timeoutMs: 1500 });
    const collected = collect(execution);
    await waitFor("the three sleeps to run", async () => (await processesInPod(sandbox, `sleep ${seconds}`)) === 3, 1400);
    const { result, stdout } = await collected;
    expect(result).toMatchObject({ timedOut: true, cancelled: false });
    expect(result.exitCode).toBeGreaterThan(128);
    expect(stdout).not.toContain("never");
    expect(result.durationMs).toBeGreaterThanOrEqual(1450);
    expect(result.durationMs).toBeLessThan(1500 + 1000 + 3000);
    await waitFor("no sleep of the timed-out group to survive", async () => (await processesInPod(sandbox, `sleep ${seconds}`)) === 0, 2000);
    if (target.fake) {
      const run = execRequests(target, sandbox, "pushpals-exec").find((request) => request.query.command![7]!.startsWith(`trap '' TERM; sh -c 'sleep ${seconds}`))!;
      const kills = execRequests(target, sandbox, "pushpals-kill").filter((request) => request.query.command![4] === run.query.command![4]);
      expect(kills.map((request) => request.query.command!.slice(4))).toEqual([[run.query.command![4], "10"]]);
    }
  });

  it("kills the whole process group at once when aborted", async () => {
    const { seconds } = uniqueSleep();
    const controller = new AbortController();
    const collected = collect(sandbox.exec(`sh -c 'sleep ${seconds} & sleep ${seconds}' & sleep ${seconds}`, { signal: controller.signal }));
    await waitFor("the three sleeps to run", async () => (await processesInPod(sandbox, `sleep ${seconds}`)) === 3, 3000);
    const abortedAt = performance.now();
    controller.abort();
    const { result, settledAt } = await collected;
    expect(result).toMatchObject({ cancelled: true, timedOut: false, exitCode: 137 });
    expect(settledAt - abortedAt).toBeLessThan(2000);
    expect(await processesInPod(sandbox, `sleep ${seconds}`)).toBe(0);
    if (target.fake) expect(execRequests(target, sandbox, "pushpals-kill").at(-1)!.query.command!.at(-1)).toBe("0");
  });

  it("does not start a command whose signal is already aborted", async () => {
    const before = target.fake?.requests.length;
    const { result, chunks } = await collect(sandbox.exec("echo ran", { signal: AbortSignal.abort() }));
    expect(result.cancelled).toBe(true);
    expect(chunks).toEqual([]);
    if (target.fake) expect(target.fake.requests.length).toBe(before);
  });

  it("ends a command's background processes with it", async () => {
    const { seconds } = uniqueSleep();
    const { stdout, result } = await collect(sandbox.exec(`sleep ${seconds} >/dev/null 2>&1 & echo started`));
    expect(stdout).toBe("started\n");
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, cancelled: false });
    expect(result.durationMs).toBeLessThan(3000);
    expect(await processesInPod(sandbox, `sleep ${seconds}`)).toBe(0);
  });

  it("carries large output and multi-byte text intact across frames", async () => {
    const big = await collect(sandbox.exec('i=0; while [ $i -lt 2000 ]; do echo "line $i: ééééééééééééééééééééééééééééééééééééééé ✓"; i=$((i+1)); done'));
    const expected = Array.from({ length: 2000 }, (_, index) => `line ${index}: ${"é".repeat(39)} ✓\n`).join("");
    expect(big.stdout).toBe(expected);
    expect(big.stdout.includes("\uFFFD")).toBe(false);
  });

  it("runs a long command (a file written by heredoc)", async () => {
    const content = "x".repeat(120) + "\n";
    const body = content.repeat(800);
    const { stdout, result } = await collect(sandbox.exec(`cat > heredoc.txt <<'PUSHPALS_EOF'\n${body}PUSHPALS_EOF\nwc -c < heredoc.txt; rm heredoc.txt`));
    expect(result.exitCode).toBe(0);
    expect(stdout.trim()).toBe(String(body.length));
  });

  it(`runs 20 commands one after another`, async () => {
    const startedAt = performance.now();
    for (let index = 0; index < 20; index += 1) expect(await inPod(sandbox, `echo ${index}`)).toBe(`${index}\n`);
    const perCommand = (performance.now() - startedAt) / 20;
    console.log(`[measure] kubernetes (${ON_REAL_CLUSTER ? "real cluster" : "fake API"}): 20 sequential execs, ${perCommand.toFixed(1)} ms each`);
  });
});

// Against the fake only (a real cluster speaks what it speaks); there, a missing fake fails in CI like every suite.
const describeOnFake = (title: string, body: () => void) => (ON_REAL_CLUSTER ? describe.skip(title, body) : describeIfAvailable(title, requirement, body));

describeOnFake("kubernetes sandbox exec on a v4.channel.k8s.io API server (no stdin close)", () => {
  let target: KubeTarget;
  let workspace: Workspace;
  let sandbox: Sandbox;
  beforeAll(async () => {
    target = await openKubeTarget({ execProtocols: ["v4.channel.k8s.io"] });
    workspace = await makeWorkspace();
    sandbox = await driverFor(target).start(specFor(workspace.worktree, "v4-runner"));
  });
  afterAll(async () => {
    await sandbox?.stop();
    await workspace?.dir.remove();
    await target?.close();
  });

  it("still feeds stdin and copies the worktree in, by byte count", async () => {
    const { stdout, result } = await collect(sandbox.exec("cat; echo end", { stdin: "over v4\n" }));
    expect(stdout).toBe("over v4\nend\n");
    expect(result.exitCode).toBe(0);
    expect(await inPod(sandbox, "cat sub/dir/file.txt")).toBe("nested\n");
    const execs = recorded(target).requestsTo("GET", /\/exec$/);
    expect(execs.length).toBeGreaterThan(0);
    for (const request of execs) expect(request.protocol).toBe("v4.channel.k8s.io");
  });
});
