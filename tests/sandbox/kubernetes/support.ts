import { expect } from "vitest";
import { ConnectError, type Code } from "@connectrpc/connect";
import { newId } from "../../../shared/ids.js";
import { createLogger } from "../../../shared/log.js";
import type { Sandbox, SandboxDriver, SandboxSpec } from "../../../sandbox/driver.js";
import { createKubernetesDriver, type KubernetesSandboxSettings } from "../../../sandbox/kubernetes/kubernetes-driver.js";
import { collect } from "../fixtures.js";
import type { KubeTarget } from "./kube-target.js";

export const SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function driverFor(target: KubeTarget, kubernetes: Record<string, unknown> = {}, overrides: Partial<KubernetesSandboxSettings> = {}): SandboxDriver {
  return createKubernetesDriver(target.settings(kubernetes), createLogger("kubernetes-sandbox-test"), { deleteTimeoutMs: 20_000, ...overrides });
}

export function specFor(worktree: string, owner: string, extra: Partial<SandboxSpec> = {}): SandboxSpec {
  return { jobId: newId("job"), owner, worktree, env: { PATH: SANDBOX_PATH, HOME: "/tmp", SPEC_VAR: "from-spec" }, ...extra };
}

/** Runs a command that must succeed and returns its stdout. */
export async function inPod(sandbox: Sandbox, command: string): Promise<string> {
  const { stdout, stderr, result } = await collect(sandbox.exec(command));
  expect(result.exitCode, `"${command}" failed: ${stderr}`).toBe(0);
  return stdout;
}

/** How many processes in the pod have `text` in their command line (seen from inside, so it works on a real cluster too). */
export async function processesInPod(sandbox: Sandbox, text: string): Promise<number> {
  const stdout = await inPod(
    sandbox,
    `n=0; for p in /proc/[0-9]*; do c=$(tr '\\0' ' ' < $p/cmdline 2>/dev/null) || continue; case "$c" in "${text} "*) n=$((n+1));; esac; done; echo $n`,
  );
  return Number(stdout.trim());
}

export async function expectConnectError(promise: Promise<unknown>, code: Code, message: RegExp): Promise<ConnectError> {
  const caught = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(caught, "expected a ConnectError").toBeInstanceOf(ConnectError);
  expect((caught as ConnectError).code).toBe(code);
  expect((caught as ConnectError).rawMessage).toMatch(message);
  return caught as ConnectError;
}
