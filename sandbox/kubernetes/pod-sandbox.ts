import type { Logger } from "../../shared/log.js";
import type { Sandbox, SandboxSpec } from "../driver.js";
import { sandboxLifecycle } from "../lifecycle.js";
import { validateExec } from "../validate.js";
import type { Cluster } from "./cluster.js";
import { POD_WORKDIR } from "./names.js";
import { runInPod } from "./pod-command.js";
import { podCwd } from "./pod-cwd.js";
import { deletePod } from "./pod-deletion.js";
import { copyIntoPod, copyOutOfPod } from "./pod-workspace.js";
import type { KubernetesSandboxSettings } from "./settings.js";

export interface RunningPod {
  cluster: Cluster;
  namespace: string;
  name: string;
}

/** A running sandbox pod as a Sandbox: commands are execs, the workspace moves as tar streams. */
export function podSandbox(pod: RunningPod, spec: SandboxSpec, settings: KubernetesSandboxSettings, logger: Logger): Sandbox {
  const target = { cluster: pod.cluster, namespace: pod.namespace, pod: pod.name };
  const lifecycle = sandboxLifecycle(`kubernetes sandbox of job ${spec.jobId} (pod ${pod.namespace}/${pod.name})`);
  let stopping: Promise<void> | undefined;
  return {
    id: pod.name,
    workdir: POD_WORKDIR,
    exec(command, options = {}) {
      const checked = validateExec(command, { ...options, cwd: undefined }, spec.env, spec.worktree);
      const cwd = podCwd(options.cwd);
      const signal = lifecycle.admit(checked.signal);
      return lifecycle.track(runInPod(target, { command: checked.command, cwd, env: checked.env, stdin: checked.stdin, timeoutMs: checked.timeoutMs, signal }, logger));
    },
    async copyIn(hostDir) {
      lifecycle.admit(undefined);
      await copyIntoPod(target, hostDir, logger);
    },
    async copyOut(hostDir) {
      lifecycle.admit(undefined);
      await copyOutOfPod(target, hostDir, settings.maxCopyOutBytes, logger);
    },
    stop() {
      stopping ??= (async () => {
        await lifecycle.stop();
        const gone = await deletePod(pod, settings.deleteTimeoutMs, logger);
        logger.info({ gone }, "kubernetes sandbox stopped; pod deleted");
      })();
      // A failed deletion (API down) may be retried by calling stop() again.
      stopping.catch(() => (stopping = undefined));
      return stopping;
    },
  };
}
